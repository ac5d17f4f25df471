"""Fast app tests with streamlit.testing.v1.AppTest: the page, its controls, the URL."""

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from nnexplore.config import FIELDS, MORE, RunConfig

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


def app(params=None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


def widget(at: AppTest, name: str):
    for kind in ("selectbox", "number_input", "text_input"):
        for w in getattr(at.sidebar, kind):
            if w.key == f"cfg_{name}":
                return w
    raise AssertionError(f"no control for {name}")


def test_page_builds_with_every_control_and_help():
    at = app()
    assert not at.exception
    assert at.title[0].value == "Playground"
    more = [f for f in FIELDS if f.metadata["group"] == MORE]
    assert len(more) == 6 and not [w for w in at.sidebar.number_input if w.key == "cfg_seed"]
    at.toggle(key="cfg_more").set_value(True).run()  # the folded settings, drawn once asked for
    for f in FIELDS:
        if f.metadata["own_widget"]:  # drawn by a widget of its own (tests/app/test_point_pad.py)
            continue
        w = widget(at, f.name)
        assert w.help and len(w.help) > 20, f.name
    assert at.toggle(key="cfg_more").help.startswith("Show the settings")
    assert [b.label for b in at.button][:2] == ["Train", "Stop"]


def test_a_folded_setting_keeps_its_value_in_the_link_and_the_widget():
    """Streamlit drops the state of a widget a run does not draw: a folded setting's value is kept
    all the same, in the link, for Train and in its widget when the switch is on again."""
    at = app({"seed": "5"})
    assert at.query_params["seed"] in (["5"], "5")  # from the link, folded away
    at.toggle(key="cfg_more").set_value(True).run()
    assert widget(at, "seed").value == 5
    widget(at, "seed").set_value(7).run()
    at.toggle(key="cfg_more").set_value(False).run()
    widget(at, "epochs").set_value(4).run()  # a run with the fold closed
    assert not at.exception and at.query_params["seed"] in (["7"], "7")
    back, _ = RunConfig.from_query_params(dict(at.query_params))
    assert back.seed == 7 and back.epochs == 4
    at.toggle(key="cfg_more").set_value(True).run()
    assert widget(at, "seed").value == 7


def test_url_restores_config_and_controls_write_it_back():
    cfg = RunConfig(dataset="spiral3", hidden=(32, 8), hidden_activation="tanh", lr=0.0123, epochs=7, seed=5)
    at = app(cfg.to_query_params())
    assert not at.exception and not at.warning
    assert widget(at, "dataset").value == "spiral3"
    assert widget(at, "hidden").value == "32,8"
    assert widget(at, "lr").value == pytest.approx(0.0123)
    widget(at, "epochs").set_value(9).run()
    assert at.query_params["epochs"] == ["9"] or at.query_params["epochs"] == "9"
    back, problems = RunConfig.from_query_params(dict(at.query_params))
    assert problems == [] and back == cfg.replace(epochs=9)


@pytest.mark.parametrize(
    "params",
    [
        {"lr": "banana"},
        {"hidden": "99999999"},
        {"dataset": "<script>alert(1)</script>"},
        {"epochs": "nan", "bogus": "1"},
        {"noise": "9" * 10_000},
    ],
)
def test_bad_url_parameters_give_warnings_and_defaults(params):
    at = app(params)
    assert not at.exception
    assert len(at.warning) >= len(params)
    text = " ".join(w.value for w in at.warning)
    assert "ignored" in text.lower()
    for name in params:
        if name != "bogus":
            f = next(f for f in FIELDS if f.name == name)
            assert f.metadata["label"] in text


def test_impossible_combination_is_explained_before_training():
    at = app({"output_activation": "none", "loss": "cross_entropy"})
    assert any("Expected to fail" in w.value for w in at.sidebar.warning)


def test_picking_a_regression_puts_its_recipe_in_and_an_impossible_one_is_refused_in_words():
    at = app()
    widget(at, "dataset").set_value("sine").run()
    assert not at.exception
    assert (widget(at, "output_activation").value, widget(at, "loss").value) == ("none", "mse")
    assert not at.button[0].disabled and any("regression" in i.value for i in at.sidebar.info)
    widget(at, "output_activation").set_value("sigmoid").run()  # allowed: its fit shows why not
    assert not at.button[0].disabled and any("between 0 and 1" in w.value for w in at.sidebar.warning)
    widget(at, "loss").set_value("cross_entropy").run()  # impossible: said, and no Train
    assert at.button[0].disabled and any("sine is a regression" in e.value for e in at.sidebar.error)
    widget(at, "loss").set_value("mse").run()
    widget(at, "output_activation").set_value("none").run()
    widget(at, "dataset").set_value("moons").run()  # back to a classification: its own recipe
    assert (widget(at, "output_activation").value, widget(at, "loss").value) == ("softmax", "cross_entropy")
    assert not at.exception and not at.button[0].disabled


def test_invalid_hidden_layers_disable_train_with_a_message():
    at = app()
    widget(at, "hidden").set_value("16,abc").run()
    assert not at.exception
    assert any("Hidden layers" in e.value for e in at.sidebar.error)
    assert at.button[0].disabled


def test_train_runs_in_background_and_reaches_done():
    at = app({"epochs": "2", "n_samples": "200"})
    at.button[0].click().run()
    assert not at.exception
    deadline = time.time() + 60
    while time.time() < deadline:
        at.run()
        if any("done" in s.value for s in at.success):
            break
        time.sleep(0.3)
    assert any("done, test accuracy" in s.value for s in at.success)
    assert not at.exception
    assert [h.value for h in at.subheader][:2] == ["Accuracy", "Decision regions"]  # its headline
    more = next(g for g in at.get("button_group") if g.label == "More views")
    assert {"Loss", "Gradient flow", "Hidden units", "Who gets pushed"} <= set(more.options)  # every view
    # The comparison table gives the status line's accuracy, in percent with one decimal like it.
    said = float(re.search(r"test accuracy ([\d.]+)%", next(s.value for s in at.success)).group(1))
    table = at.dataframe[0]
    assert table.value["test accuracy"].iloc[0] == pytest.approx(said, abs=0.05)
    columns = json.loads(table.proto.columns)
    assert columns["test accuracy"]["type_config"]["format"] == "%.1f%%"
    _manage_runs_loads_downloads_and_removes(at)


def test_a_sine_run_reaches_done_and_shows_its_r2_and_its_fitted_curve():
    at = app({"dataset": "sine", "epochs": "3", "n_samples": "300"})  # the link: raw outputs, mse
    assert (widget(at, "output_activation").value, widget(at, "loss").value) == ("none", "mse")
    at.button[0].click().run()
    deadline = time.time() + 60
    while time.time() < deadline and not any("done" in s.value for s in at.success):
        time.sleep(0.3)
        at.run()
    assert not at.exception
    status = next(s.value for s in at.success if "done" in s.value)
    r2 = float(re.search(r"done, test R² (-?[\d.]+) in", status).group(1))
    assert [h.value for h in at.subheader][:2] == ["R² (1 is a perfect fit)", "Fit to the data"]
    assert any("Where the line leaves the dots" in c.value for c in at.caption)  # the curve is drawn
    table = at.dataframe[0].value
    assert "test accuracy" not in table.columns and table["test R²"].iloc[0] == pytest.approx(r2, abs=0.005)
    more = next(g for g in at.get("button_group") if g.label == "More views")
    assert "Who gets pushed" not in more.options and "Decision regions" not in more.options
    assert not at.exception


def _manage_runs_loads_downloads_and_removes(at: AppTest) -> None:
    """Manage runs is drawn only once its switch is on; then it loads a run's settings back into
    the sidebar, offers its records, and removes it from the page."""
    from nnexplore.ui.pages.playground import MANAGE

    assert not [b for b in at.button if b.label == "Remove"]  # off: none of its widgets drawn
    at.toggle(key="manage_open").set_value(True).run()
    assert {d.label for d in at.get("download_button")} == {"Records (CSV)", "Config (JSON)"}
    widget(at, "epochs").set_value(5).run()
    next(b for b in at.button if b.label == "Load into controls").click().run()
    assert widget(at, "epochs").value == 2 and not at.exception  # the run's own settings again
    next(b for b in at.button if b.label == "Remove").click().run()
    assert not at.success and not at.exception  # the page holds no run
    assert "manage_open" not in [t.key for t in at.toggle]  # and no Manage runs for none
    assert MANAGE not in _texts(at.main)


def _texts(node) -> list[str]:
    """Every text drawn inside this node, depth first."""
    own = [node.value] if isinstance(getattr(node, "value", None), str) else []
    return own + [t for child in getattr(node, "children", {}).values() for t in _texts(child)]


def test_the_finished_page_replaces_the_live_one_in_place():
    """Status lines and charts are two blocks at the same place while the run trains and after
    it ends: a final page whose full run was cut short then cannot leave the live charts beside
    the final ones (Streamlit removes what a run did not redraw only when it ends uninterrupted)."""
    at = app({"epochs": "3", "n_samples": "200"})
    at.button[0].click().run()
    live = dict(at.main.children)
    deadline = time.time() + 60
    while time.time() < deadline and not any("done" in s.value for s in at.success):
        time.sleep(0.3)
        at.run()
    final = at.main.children
    status = next(i for i, node in final.items() if any("done, test accuracy" in t for t in _texts(node)))
    charts = status + 1
    assert {"Accuracy", "Decision regions", "Compare runs"} <= set(_texts(final[charts]))
    assert live[status].type == final[status].type == live[charts].type == final[charts].type
    assert len(live) == len(final)


_hostile = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["nan", "-inf", "1e400", "-5", "", "<img src=x onerror=alert(1)>", "../../etc/passwd", "mnist"]
    ),
    st.builds(lambda c, n: c * n, st.sampled_from(["9", "é", "<"]), st.integers(100, 10_000)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([f.name for f in FIELDS] + ["x", "experiment"]), _hostile, max_size=4))
def test_fuzzed_url_parameters_never_break_the_page(params):
    at = app(params)
    assert not at.exception
    assert at.title[0].value == "Playground"
    assert not at.button[0].disabled  # Train still works with the defaults in place
    shown = " ".join(w.value for w in at.warning)
    for value in params.values():
        if len(value) > 100:
            assert value not in shown  # a 10,000-character value is never echoed whole


class _OneJobManager:
    """Stands in for the job manager: every run it is given gets ``status`` and no record."""

    def __init__(self, status: str) -> None:
        self.status = status

    def submit(self, cfg, owner, label="", group=""):
        import threading

        from nnexplore.runs.job import Job

        job = Job(cfg, owner, label, threading.Lock(), group)
        job.status = self.status
        return job


class _StartedJobManager:
    """Stands in for the job manager: every run starts with one record saying ``to_go_s`` are left
    at its pace so far, and ends (done) ``ends_after_s`` later if given."""

    def __init__(self, to_go_s: float, ends_after_s: float | None = None) -> None:
        self.to_go_s, self.ends_after_s, self.last = to_go_s, ends_after_s, None

    def submit(self, cfg, owner, label="", group=""):
        import threading

        from nnexplore.runs.job import DONE, RUNNING, Job

        job = Job(cfg, owner, label, threading.Lock(), group)
        job.status = RUNNING
        job.records.append({"step": 10, "total_steps": 100, "elapsed_s": self.to_go_s / 9})
        if self.ends_after_s is not None:
            threading.Timer(self.ends_after_s, setattr, (job, "status", DONE)).start()
        self.last = job
        return job


def _press_train_and_say_status_app() -> None:
    import streamlit as st

    from nnexplore.config import RunConfig
    from nnexplore.ui import actions as state

    state.start_run(RunConfig(), "playground")
    st.write(f"Train returned, the run {state.job_manager().last.status}")


def test_train_waits_for_a_run_that_ends_within_the_wait_but_draws_a_longer_one_live(monkeypatch):
    """A short toy run is drawn once, finished: drawing it live and again a moment later cost a
    one-core box and a fresh browser about 0.5 s before the first chart. A longer run is drawn
    live from its first record, as soon as it has one."""
    from nnexplore.ui import actions as state
    from nnexplore.ui.live import pace

    monkeypatch.setattr(pace, "FIRST_RECORD_WAIT_S", 5.0)
    short = _StartedJobManager(to_go_s=0.1, ends_after_s=0.3)
    monkeypatch.setattr(state, "job_manager", lambda: short)
    at = AppTest.from_function(_press_train_and_say_status_app, default_timeout=10).run()
    assert not at.exception and at.markdown[0].value == "Train returned, the run done"

    monkeypatch.setattr(pace, "FIRST_RECORD_WAIT_S", 30.0)  # waited for: AppTest times out at 10 s
    long = _StartedJobManager(to_go_s=60.0)
    monkeypatch.setattr(state, "job_manager", lambda: long)
    at = AppTest.from_function(_press_train_and_say_status_app, default_timeout=10).run()
    assert not at.exception and at.markdown[0].value == "Train returned, the run running"


def _press_train_app() -> None:
    import streamlit as st

    from nnexplore.config import RunConfig
    from nnexplore.ui import actions as state

    state.start_run(RunConfig(), "playground")
    st.write("Train returned")


def test_train_waits_for_a_starting_runs_first_record_but_not_for_a_queued_run(monkeypatch):
    """A run that starts now is waited for (a toy run's first record comes within a fraction of
    a second, and this script run then draws it); a run that joins the queue is not: its page
    says its place at once, and the script thread is not held."""
    from nnexplore.runs.job import QUEUED, RUNNING
    from nnexplore.ui import actions as state
    from nnexplore.ui.live import pace

    monkeypatch.setattr(pace, "FIRST_RECORD_WAIT_S", 30.0)  # waited for: AppTest times out at 10 s
    monkeypatch.setattr(state, "job_manager", lambda: _OneJobManager(QUEUED))
    at = AppTest.from_function(_press_train_app, default_timeout=10).run()
    assert not at.exception and at.markdown[0].value == "Train returned"

    monkeypatch.setattr(pace, "FIRST_RECORD_WAIT_S", 0.5)
    monkeypatch.setattr(state, "job_manager", lambda: _OneJobManager(RUNNING))
    started = time.monotonic()
    at = AppTest.from_function(_press_train_app, default_timeout=20).run()
    assert not at.exception and time.monotonic() - started >= 0.5  # it waited for a record


def _status(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def _run_until(at: AppTest, done, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not done():
        time.sleep(0.3)
        at.run()
    assert done(), _status(at)


def test_pause_holds_a_run_step_takes_one_record_and_resume_trains_on():
    """A long run: Pause holds it after a record (it keeps its slot, the status line says so),
    Step takes exactly one more record, Resume trains on, Stop still stops."""
    at = app(RunConfig(epochs=50, n_samples=20000, batch_size=8, seed=23).to_query_params())
    at.button[0].click().run()
    _run_until(at, lambda: "training," in _status(at))
    from nnexplore.ui import state

    [job] = [j for j in state.job_manager()._jobs.values() if j.is_active and j.cfg.seed == 23]
    next(b for b in at.button if b.label == "Pause").click().run()
    _run_until(at, lambda: "paused at" in _status(at))
    assert any("keeps its training slot" in c.value for c in at.caption)
    time.sleep(1.0)  # the run holds after the record it was at when Pause came
    held = len(job.records)
    time.sleep(1.0)
    at.run()
    assert len(job.records) == held and "paused at epoch" in _status(at)  # no record while paused
    next(b for b in at.button if b.label == "Step").click().run()
    _run_until(at, lambda: len(job.records) == held + 1 and job.is_paused, timeout=20)
    time.sleep(0.5)
    assert len(job.records) == held + 1  # exactly one record, then held again
    next(b for b in at.button if b.label == "Resume").click().run()
    _run_until(at, lambda: "training," in _status(at) and len(job.records) > held + 2)
    next(b for b in at.button if b.label == "Stop").click().run()
    _run_until(at, lambda: any("stopped" in w.value for w in at.warning))
    assert not at.exception
