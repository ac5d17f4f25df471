"""Shared fixtures: a real `streamlit run` on loopback and a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.local_servers import CHROMIUM, CHROMIUM_ARGS, SHARED_MNIST, serve_folder, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


class StreamlitServer:
    """A dashboard server for a test module: `.url`, then `.stop()`."""

    def __init__(self, env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self._running = streamlit_server(
            env, ARTIFACTS / f"streamlit-{len(list(ARTIFACTS.glob('streamlit-*.log')))}.log"
        )
        self.url, self.proc = self._running.__enter__()

    def stop(self) -> None:
        self._running.__exit__(None, None, None)


@pytest.fixture(scope="session")
def mnist_mirror():
    """The shared MNIST test files served over loopback HTTP (the real download path)."""
    if not SHARED_MNIST.exists():
        pytest.skip("../shared/mnist is not present")
    with serve_folder(SHARED_MNIST) as url:
        yield url


@pytest.fixture(scope="session")
def server(tmp_path_factory, mnist_mirror):
    """One dashboard server for the browser tests; MNIST comes from the loopback mirror (test set split)."""
    env = {
        "NNEXPLORE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "NNEXPLORE_MNIST_MIRRORS": mnist_mirror,
        "NNEXPLORE_MNIST_TEST_ONLY": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    srv = StreamlitServer(env)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray cluster on 2 CPUs for the whole session (devtools.ray_head), this process joined
    to it as a server would be; stopped by its own processes afterwards. Yields its address."""
    import ray

    from devtools.ray_head import local_ray_head
    from nnexplore.runs.ray_runner import connect

    ARTIFACTS.mkdir(exist_ok=True)
    with local_ray_head(num_cpus=2, log_path=ARTIFACTS / "ray-head.log") as address:
        connect(address)
        try:
            yield address
        finally:
            ray.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser session (its own Streamlit session); a screenshot is saved after each test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def fake():
    """A fake train function (tests/fake_training.py) whose timing the test's configs control."""
    from fake_training import FakeTrain

    return FakeTrain()


@pytest.fixture
def managers():
    """The job managers a test made (append them): each must shut down cleanly, its run threads
    ended, when the test is over."""
    made: list = []
    yield made
    for manager in made:
        assert manager.shutdown(timeout=3.0), "run threads did not end"
