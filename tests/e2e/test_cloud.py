"""The Streamlit Community Cloud entry point, ``cloud/streamlit_app.py``, and its requirements.

Cloud installs ``cloud/requirements.txt`` (the file beside the entry point comes before
the root one), so the two requirement files must say the same thing but for torch's
build: a package or pin changed in one file only is a deployment that differs from what
the tests here ran on. The entry point must run exactly the dashboard: checked in
process with AppTest and as a real ``streamlit run cloud/streamlit_app.py`` in Chromium.
The tests install nothing from PyPI or PyTorch's index: CI reaches only the usual
registries, and the root requirements are what is installed here.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from packaging.requirements import Requirement
from streamlit.testing.v1 import AppTest
from test_dashboard import click, status_texts, wait_for_status

from devtools.local_servers import streamlit_server
from nnexplore.config import RunConfig

ROOT = Path(__file__).resolve().parents[2]
CLOUD_APP = ROOT / "cloud" / "streamlit_app.py"
#: The only line of cloud/requirements.txt that is not a requirement: torch's CPU wheels
#: on top of PyPI, for torch alone (see the comment in that file).
CPU_TORCH = "--find-links https://download.pytorch.org/whl/cpu/torch/"
#: The primary colour of .streamlit/config.toml, on the Train button when the config was read.
PRIMARY_RGB = "rgb(37, 99, 235)"


def parse_requirements(text: str) -> tuple[dict[str, Requirement], list[str]]:
    """A requirements file's requirements by normalised name, and its option lines (``--...``).

    Comments and blank lines are dropped; a package listed twice is an error.
    """
    reqs: dict[str, Requirement] = {}
    options: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(" ".join(line.split()))
            continue
        req = Requirement(line)
        name = req.name.lower().replace("_", "-").replace(".", "-")
        assert name not in reqs, f"{name} is listed twice"
        reqs[name] = req
    return reqs, options


def requirement_differences(root_text: str, cloud_text: str) -> list[str]:
    """What keeps cloud/requirements.txt from being the root file with torch's CPU build.

    The rule: the same packages with the same specifiers, extras and markers, except that
    root's ``torch==X`` is ``torch==X+cpu`` in the cloud file; the root file has no option
    lines (``pip install -r requirements.txt`` reads PyPI alone) and the cloud file has
    exactly ``CPU_TORCH``. An empty list means the files are in step.
    """
    root, root_options = parse_requirements(root_text)
    cloud, cloud_options = parse_requirements(cloud_text)
    problems = []
    if root_options:
        problems.append(f"root requirements.txt has option lines {root_options}")
    if cloud_options != [CPU_TORCH]:
        problems.append(f"cloud/requirements.txt's option lines are {cloud_options}, not [{CPU_TORCH!r}]")
    for name in sorted(root.keys() - cloud.keys()):
        problems.append(f"{name} is in requirements.txt only")
    for name in sorted(cloud.keys() - root.keys()):
        problems.append(f"{name} is in cloud/requirements.txt only")
    for name in sorted(root.keys() & cloud.keys()):
        r, c = root[name], cloud[name]
        want = str(r.specifier)
        if name == "torch":
            pins = [s for s in r.specifier if s.operator == "=="]
            if len(pins) != 1 or len(r.specifier) != 1 or "+" in pins[0].version:
                problems.append(f"root torch must be one plain == pin, not {r.specifier}")
                continue
            want = f"=={pins[0].version}+cpu"
        if str(c.specifier) != want:
            problems.append(f"{name}: cloud/requirements.txt has {c.specifier or 'no pin'}, expected {want}")
        if (r.extras, str(r.marker)) != (c.extras, str(c.marker)):
            problems.append(f"{name}: extras or markers differ")
    return problems


ROOT_TEXT = (ROOT / "requirements.txt").read_text()
CLOUD_TEXT = (ROOT / "cloud" / "requirements.txt").read_text()


def test_cloud_requirements_are_the_root_ones_with_cpu_torch():
    assert requirement_differences(ROOT_TEXT, CLOUD_TEXT) == []
    assert str(parse_requirements(CLOUD_TEXT)[0]["torch"].specifier) == "==2.13.0+cpu"


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r, c: (r + "numpy>=2\n", c), "numpy is in requirements.txt only"),
        (lambda r, c: (r, c + "scipy\n"), "scipy is in cloud/requirements.txt only"),
        (lambda r, c: (r.replace("pooch>=1.8,<2", "pooch>=1.9,<2"), c), "pooch: cloud"),
        (lambda r, c: (r.replace("torch==2.13.0", "torch==2.14.0"), c), "torch: cloud"),
        (lambda r, c: (r, c.replace("torch==2.13.0+cpu", "torch==2.13.0")), "torch: cloud"),
        (
            lambda r, c: (r, c.replace(CPU_TORCH, "--extra-index-url https://download.pytorch.org/whl/cpu")),
            "option",
        ),
        (
            lambda r, c: ("--extra-index-url https://example.org/simple\n" + r, c),
            "root requirements.txt has option",
        ),
    ],
)
def test_a_change_to_one_file_only_is_caught(change, expected):
    root, cloud = change(ROOT_TEXT, CLOUD_TEXT)
    problems = requirement_differences(root, cloud)
    assert any(expected in p for p in problems), problems


def test_the_cloud_entry_point_runs_the_dashboard_in_apptest():
    at = AppTest.from_file(str(CLOUD_APP), default_timeout=60)
    at.query_params["dataset"] = "moons"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Playground"
    assert [b.label for b in at.button][:2] == ["Train", "Stop"]
    assert next(w for w in at.sidebar.selectbox if w.key == "cfg_dataset").value == "moons"


def test_cloud_secrets_reach_the_settings_as_environment_variables(tmp_path, monkeypatch):
    """Cloud's Secrets box is a secrets.toml; Streamlit copies its top-level strings and numbers
    into os.environ when the server starts, which is where nnexplore reads its settings."""
    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    from nnexplore.runs.forkserver import default_worker_idle_s
    from nnexplore.runs.manager import default_slots

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('NNEXPLORE_SLOTS = 1\nNNEXPLORE_WORKER_IDLE_S = "30"\n')
    for name in ("NNEXPLORE_SLOTS", "NNEXPLORE_WORKER_IDLE_S"):
        monkeypatch.setenv(name, "7")  # restored (removed) after the test
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(secrets)])
    try:
        Secrets()._parse()
    finally:
        config.set_option("secrets.files", before)
    assert (default_slots(), default_worker_idle_s()) == (1, 30.0)


@pytest.fixture(scope="module")
def cloud_server(tmp_path_factory):
    """``streamlit run cloud/streamlit_app.py`` from the repository root with one training
    slot, as on a Cloud box; the working directory is not on sys.path (``-P``)."""
    log = ROOT / "test-artifacts" / "streamlit-cloud.log"
    log.parent.mkdir(exist_ok=True)
    env = {
        "NNEXPLORE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "NNEXPLORE_SLOTS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    with streamlit_server(env, log, script="cloud/streamlit_app.py") as (url, _proc):
        yield url


@pytest.mark.browser
def test_cloud_entry_point_serves_the_playground_and_trains(page, cloud_server):
    cfg = RunConfig(dataset="moons", epochs=2)
    page.goto(cloud_server + "?" + urlencode(cfg.to_query_params()))
    page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
    train = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True)
    train.wait_for(timeout=10_000)
    # .streamlit/config.toml at the root was read: its primary colour is on the Train button.
    assert train.evaluate("b => getComputedStyle(b).backgroundColor") == PRIMARY_RGB
    assert "dataset=moons" in page.url
    click(page, "Train")  # a run trains in the forkserver's child: nnexplore imports there too
    wait_for_status(page, "done", timeout=120)
    assert page.locator("[data-testid=stException]").count() == 0, status_texts(page)


@pytest.mark.browser
def test_cloud_entry_point_serves_page_urls(page, cloud_server):
    page.goto(cloud_server + "experiments?experiment=why-log")
    page.get_by_role("heading", name="Why is there a log in the loss?", exact=True).wait_for(timeout=60_000)
    assert "experiment=why-log" in page.url
    page.goto(cloud_server + "theory")
    theory = page.get_by_role("heading", name="Theory: why the standard recipe is standard", exact=True)
    theory.wait_for(timeout=60_000)
    time.sleep(1)  # let the page finish drawing before looking for exceptions
    assert page.locator("[data-testid=stException]").count() == 0
