"""Two dashboard servers on one Ray cluster, one link: the run trains once for both (a real
local cluster, two real `streamlit run`, real Chromium)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from nnexplore.config import RunConfig

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

TRAINING = "training, epoch"


def _status(page) -> list[str]:
    """The runs' status lines: a progress bar while a run trains, an alert once it has ended."""
    return page.locator("[data-testid=stProgress], [data-testid=stAlert]").all_inner_texts()


def _wait_for(page, word: str, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for text in _status(page):
            if word in text:
                return text
        time.sleep(0.25)
    raise AssertionError(f"no status '{word}' within {timeout} s; saw {_status(page)}")


@pytest.fixture(scope="module")
def two_servers(ray_cluster, tmp_path_factory):
    from conftest import StreamlitServer

    env = {
        "NNEXPLORE_RAY_ADDRESS": ray_cluster,
        "NNEXPLORE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    servers = [StreamlitServer(env), StreamlitServer(env)]
    yield servers
    for server in servers:
        server.stop()


def test_a_link_opened_on_two_servers_trains_once_and_both_learners_see_it(two_servers, browser):
    import ray

    from nnexplore.runs.ray_runner import registry

    cfg = RunConfig(epochs=5, n_samples=20000, batch_size=8, seed=201)  # 10,000 steps, about 12 s
    link = "?" + urlencode(cfg.to_query_params())
    trained_before = ray.get(registry().stats.remote(), timeout=20)["trained"]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in two_servers]
    try:
        pages = [context.new_page() for context in contexts]
        for page, server in zip(pages, two_servers):
            page.goto(server.url + link)
            page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
            assert page.get_by_text("Runs train on this server instead").count() == 0
        first, second = pages
        first.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()
        _wait_for(first, TRAINING)
        second.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()
        _wait_for(second, TRAINING, timeout=30)
        second.get_by_text("so this copy follows it").first.wait_for(timeout=10_000)  # told, in words
        done = _wait_for(first, "done", timeout=120)
        assert _wait_for(second, "done", timeout=30) == done  # the same run: same accuracy, same time
        assert ray.get(registry().stats.remote(), timeout=20)["trained"] == trained_before + 1
        for page in pages:
            page.get_by_role("heading", name="Accuracy").wait_for(timeout=10_000)
            assert page.locator("[data-testid=stException]").count() == 0
    finally:
        for context in contexts:
            context.close()
