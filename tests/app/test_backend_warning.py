"""A Ray cluster asked for and not reachable is a sentence on every page, and the page still works."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from devtools.local_servers import free_port

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


def test_an_unreachable_cluster_is_said_on_the_page_and_runs_train_on_the_server(monkeypatch):
    from nnexplore.ui.state import backend, job_manager

    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("NNEXPLORE_RAY_ADDRESS", address)
    backend.clear()  # the process-wide back end is chosen again, with this setting
    job_manager.clear()
    try:
        at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
        assert not at.exception
        said = [w.value for w in at.warning if address in w.value]
        assert len(said) == 1 and said[0].endswith("Runs train on this server instead.")
        assert any(b.label == "Train" for b in at.button)  # the page is whole
    finally:
        monkeypatch.delenv("NNEXPLORE_RAY_ADDRESS")
        backend.clear()
        job_manager.clear()
