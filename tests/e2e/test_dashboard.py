"""End to end: a real `streamlit run` on loopback driven by a real headless Chromium.

Screenshots of every test land in test-artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import StreamlitServer
from playwright.sync_api import expect

from nnexplore.config import RunConfig

pytestmark = pytest.mark.browser


def open_app(page, server, cfg: RunConfig | None = None):
    url = server.url + ("?" + urlencode(cfg.to_query_params()) if cfg else "")
    page.goto(url)
    page.get_by_role("heading", name="Playground").wait_for(timeout=30_000)
    return page


def status_texts(page) -> list[str]:
    return page.locator("[data-testid=stProgress], [data-testid=stAlert]").all_inner_texts()


def wait_for_status(page, word: str, timeout: float = 60) -> list[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        texts = status_texts(page)
        if any(word in t for t in texts):
            return texts
        time.sleep(0.25)
    raise AssertionError(f"no status '{word}' within {timeout} s; saw {status_texts(page)}")


def long_run(seed: int) -> RunConfig:
    """A run that trains for about a minute (100,000 steps of a tiny network), so a test can act on
    it mid-run; each test its own seed, so that no test joins or is served another test's run."""
    return RunConfig(epochs=50, n_samples=20000, batch_size=8, seed=seed)


#: What a run's status line says only while it trains. Plain "training" is not enough:
#: a queued run's line reads "waiting for a free training slot".
TRAINING = "training, epoch"


def watch_traffic(page) -> list[float]:
    """The times of the page's websocket frames, either way, as they come (call before goto)."""
    times: list[float] = []

    def watch(ws) -> None:
        ws.on("framesent", lambda _: times.append(time.time()))
        ws.on("framereceived", lambda _: times.append(time.time()))

    page.on("websocket", watch)
    return times


def wait_until_quiet(page, traffic: list[float], quiet_s: float = 2.0, timeout: float = 30) -> None:
    """Until no websocket frame came or went for ``quiet_s``: the page's last redraw is done."""
    deadline = time.time() + timeout
    while time.time() < deadline and (traffic and time.time() - traffic[-1] < quiet_s):
        time.sleep(0.2)


def wait_for_heading(page, name: str, timeout: float = 20) -> None:
    """Exactly one heading with this name, within the timeout (the page redraws after a run ends)."""
    heading = page.get_by_role("heading", name=name, exact=True)
    deadline = time.time() + timeout
    while time.time() < deadline and heading.count() != 1:
        time.sleep(0.25)
    assert heading.count() == 1, f"heading {name!r} appears {heading.count()} times"


def click(page, name: str):
    """Click a button of the page (not Streamlit's own toolbar, which has a "Stop" too)."""
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=name, exact=True).click()


def choose(page, label: str, option: str):
    """Pick an option of a sidebar selectbox by its label (again if a rerun closed the list)."""
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name=label, exact=True)
    for _ in range(5):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
        except Exception:
            page.keyboard.press("Escape")
            continue
        deadline = time.time() + 10
        while time.time() < deadline and box.input_value() != option:
            time.sleep(0.1)
        if box.input_value() == option:
            time.sleep(0.5)  # let the rerun this choice started finish
            return
    raise AssertionError(f"could not choose {option} in {label}")


def test_train_fills_the_charts_and_reaches_done(page, server):
    """The Playground's first charts answer "how well, and what does it draw"; every other view
    waits under More views and is drawn when picked (and only then)."""
    open_app(page, server, RunConfig(epochs=5))
    click(page, "Train")
    page.get_by_role("heading", name="Accuracy").wait_for(timeout=10_000)
    wait_for_status(page, "done")
    for heading in ("Accuracy", "Decision regions", "Compare runs"):
        wait_for_heading(page, heading)
    charts = page.locator("[data-testid=stVegaLiteChart]")
    first = charts.count()
    assert page.get_by_role("heading", name="Hidden units", exact=True).count() == 0
    more = page.get_by_test_id("stButtonGroup")
    for view in (
        "Loss",
        "Outside [0, 1]",
        "Gradient flow",
        "Weak, off and dead units",
        "How much reaches the first layer",
        "Who gets pushed",
        "Hidden units",
    ):
        more.get_by_role("button", name=view, exact=True).click()
        wait_for_heading(page, view)
    deadline = time.time() + 20
    while time.time() < deadline and charts.count() < first + 8:
        time.sleep(0.25)
    assert charts.count() >= first + 8  # each picked view drew its charts
    assert page.locator("[data-testid=stException]").count() == 0


def test_changing_a_control_mid_run_keeps_it_going_and_stop_stops(page, server):
    open_app(page, server, long_run(11))
    click(page, "Train")
    wait_for_status(page, TRAINING)
    first = status_texts(page)
    choose(page, "Hidden activation", "tanh")  # a widget change reruns the script
    time.sleep(2)
    texts = wait_for_status(page, TRAINING)
    assert len(texts) == len(first) == 1, "the run was not restarted or duplicated"
    epoch_before = float(re.search(r"epoch ([\d.]+)", texts[0]).group(1))
    deadline = time.time() + 15
    epoch_after = epoch_before
    while time.time() < deadline and epoch_after <= epoch_before:
        time.sleep(0.5)
        epoch_after = float(re.search(r"epoch ([\d.]+)", wait_for_status(page, TRAINING)[0]).group(1))
    assert epoch_after > epoch_before, "the run did not go on after the control changed"
    started = time.time()
    click(page, "Stop")
    wait_for_status(page, "stopped", timeout=10)
    assert time.time() - started < 5
    assert "tanh" in page.url  # the URL follows the controls


def test_two_runs_are_compared_on_one_chart(page, server):
    open_app(page, server, RunConfig(epochs=3))
    click(page, "Train")
    wait_for_status(page, "done")
    choose(page, "Output activation", "sigmoid")
    choose(page, "Loss", "mse")
    click(page, "Train")
    deadline = time.time() + 60
    while time.time() < deadline and sum("done" in t for t in status_texts(page)) < 2:
        time.sleep(0.3)
    texts = status_texts(page)
    assert sum("done" in t for t in texts) == 2, texts
    assert any("softmax · CE" in t for t in texts) and any("sigmoid · MSE" in t for t in texts)
    table = page.locator("[data-testid=stDataFrame]").first
    table.wait_for()
    assert page.locator("[data-testid=stException]").count() == 0


def test_shared_url_reproduces_the_configuration(page, server):
    cfg = RunConfig(
        dataset="circles",
        hidden=(12, 6),
        hidden_activation="tanh",
        output_activation="none",
        loss="mse",
        lr=0.02,
        epochs=4,
        seed=3,
    )
    open_app(page, server, cfg)
    sidebar = page.get_by_test_id("stSidebar")
    # Retrying assertions: the sidebar may still be drawing when the heading shows.
    expect(sidebar.get_by_label("Hidden layers", exact=True)).to_have_value("12,6", timeout=15_000)
    expect(sidebar.get_by_role("combobox", name="Dataset", exact=True)).to_have_value("circles")
    expect(sidebar.get_by_role("combobox", name="Output activation", exact=True)).to_have_value("none")
    click(page, "Train")
    texts = wait_for_status(page, "done")
    assert any("tanh · no act. · MSE" in t for t in texts)
    for key, value in cfg.to_query_params().items():
        assert f"{key}={value}" in page.url.replace("%2C", ","), key


def test_hostile_url_shows_warnings_and_still_works(page, server):
    page.goto(server.url + "?lr=banana&dataset=%3Cscript%3Ealert(1)%3C%2Fscript%3E&hidden=99999999")
    page.get_by_role("heading", name="Playground").wait_for(timeout=30_000)
    warnings = page.locator("[data-testid=stAlert]").all_inner_texts()
    assert sum("ignored" in w for w in warnings) == 3
    assert page.locator("script:has-text('alert(1)')").count() == 0
    click(page, "Train")
    wait_for_status(page, "done")


def test_mnist_from_the_loopback_mirror(page, server):
    open_app(page, server, RunConfig(dataset="mnist", hidden=(32,), train_size=2000, epochs=1, batch_size=64))
    click(page, "Train")
    wait_for_status(page, "done", timeout=120)
    for heading in ("Test digits", "Confusion matrix", "Your drawing"):
        wait_for_heading(page, heading)
    # Draw a "1" with the mouse: the finished run reads it once the pen is lifted.
    canvas = page.locator("canvas.nnx-pad-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x = box["x"] + 0.5 * box["width"]
    page.mouse.move(x, box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(x + 0.05 * box["width"], box["y"] + 0.85 * box["height"], steps=25)
    page.mouse.up()
    sentence = page.get_by_text(re.compile(r"^In your drawing, .* sees a \d \(p = [01]\.\d\d\)\.$"))
    sentence.wait_for(timeout=30_000)
    readout = page.locator("[data-testid=stVegaLiteChart]").filter(has=page.locator("canvas, svg")).last
    assert readout.is_visible()
    assert page.get_by_text("What the networks see").count() == 1  # the digit as the networks get it
    page.get_by_role("button", name="Clear").click()
    page.get_by_text(re.compile("^Draw a digit on the pad")).wait_for(timeout=30_000)
    assert page.locator("[data-testid=stException]").count() == 0


def test_guided_experiment_runs_end_to_end(page, server):
    page.goto(server.url + "experiments?experiment=why-log")
    page.get_by_role("heading", name="Why is there a log in the loss?", exact=True).wait_for(timeout=30_000)
    click(page, "Run this experiment")
    deadline = time.time() + 90
    while time.time() < deadline and sum("done" in t for t in status_texts(page)) < 2:
        time.sleep(0.5)
    assert sum("done" in t for t in status_texts(page)) == 2, status_texts(page)
    wait_for_heading(page, "Who gets pushed")  # the card's headline
    page.get_by_test_id("stButtonGroup").get_by_role("button", name="Loss landscape", exact=True).click()
    wait_for_heading(page, "The loss landscape of logistic regression")
    assert page.locator("[data-testid=stException]").count() == 0
    assert "experiment=why-log" in page.url


def test_the_softmax_hidden_card_pictures_every_run(page, server):
    """Its runs' decision-region pictures side by side, each under its run's name as page text; then,
    picked under More views, the gradient panels per run and the hidden units of a chosen run."""
    from nnexplore.experiments import experiment_for

    exp = experiment_for(["softmax-hidden"])
    traffic = watch_traffic(page)
    page.goto(server.url + "experiments?experiment=softmax-hidden")
    page.get_by_role("heading", name=exp.title, exact=True).wait_for(timeout=30_000)
    click(page, "Run this experiment")
    deadline = time.time() + 120
    while time.time() < deadline and sum("done" in t for t in status_texts(page)) < len(exp.runs):
        time.sleep(0.5)
    assert sum("done" in t for t in status_texts(page)) == len(exp.runs), status_texts(page)
    wait_for_heading(page, "Decision regions")
    # The row right under the "Decision regions" heading: one column per run, its name on top.
    # The status lines say done a moment before the finished page is drawn (a run that ended
    # while its page waited in the queue is drawn once, then): wait for that page.
    deadline = time.time() + 30
    while True:
        row = page.evaluate(
            """() => {
                const h = [...document.querySelectorAll('h3')].find(e => e.innerText.trim() === 'Decision regions');
                const row = h.closest('[data-testid=stElementContainer]').nextElementSibling;
                return [...row.querySelectorAll('[data-testid=stColumn]')].map(c => ({
                    text: c.innerText, charts: c.querySelectorAll('[data-testid=stVegaLiteChart]').length}));
            }"""
        )
        if [c["charts"] for c in row] == [1] * len(exp.runs) or time.time() > deadline:
            break
        time.sleep(0.5)
    assert [c["charts"] for c in row] == [1] * len(exp.runs), row
    assert [c["text"].splitlines()[0] for c in row] == list(exp.labels), row
    charts = page.locator("[data-testid=stVegaLiteChart]")
    assert charts.count() <= 6, charts.count()  # the answer in front: the headline's charts only
    # The finished page is drawn and quiet before a view is picked: a pick made while the live
    # fragments are being replaced by the finished page is a fragment rerun Streamlit drops
    # (the fragment is gone), a race this test is not about.
    wait_until_quiet(page, traffic)
    more = page.get_by_test_id("stButtonGroup")
    for view in ("Gradient flow", "Hidden units"):
        more.get_by_role("button", name=view, exact=True).click()
        wait_for_heading(page, view)
    deadline = time.time() + 20
    while time.time() < deadline and charts.count() < 6 + len(exp.runs) + 1:
        time.sleep(0.25)
    assert charts.count() >= 6 + len(exp.runs) + 1  # a gradient panel per run, the chosen run's units
    assert page.locator("[data-testid=stException]").count() == 0


def test_mashing_train_and_stop_keeps_the_page_working(page, server):
    open_app(page, server, long_run(12))
    limit = page.get_by_text("You already have 4 runs")
    for _ in range(12):  # a click that lands while the page redraws may not count: keep mashing
        click(page, "Train")
        deadline = time.time() + 1.5
        while time.time() < deadline and not limit.count():
            time.sleep(0.1)
        if limit.count():
            break
    assert limit.count() >= 1
    click(page, "Stop")
    deadline = time.time() + 20
    while time.time() < deadline and sum("stopped" in t for t in status_texts(page)) < 4:
        time.sleep(0.25)
    assert sum("stopped" in t for t in status_texts(page)) == 4, status_texts(page)
    assert page.locator("[data-testid=stException]").count() == 0
    click(page, "Train")  # and it still trains
    wait_for_status(page, TRAINING)
    click(page, "Stop")  # leave the one training slot free for the next test
    wait_for_status(page, "stopped", timeout=10)


def test_reloading_mid_run_keeps_the_run_and_other_browsers_do_not_see_it(page, server, browser):
    open_app(page, server, long_run(13))
    click(page, "Train")
    wait_for_status(page, TRAINING)
    page.reload()  # a new Streamlit session in the same browser
    page.get_by_role("heading", name="Playground").wait_for(timeout=30_000)
    texts = wait_for_status(page, "epoch", timeout=20)
    assert len(texts) == 1, texts
    epoch_before = float(re.search(r"epoch ([\d.]+)", texts[0]).group(1))
    time.sleep(2)
    epoch_after = float(re.search(r"epoch ([\d.]+)", wait_for_status(page, TRAINING)[0]).group(1))
    assert epoch_after > epoch_before, "the run did not go on after the reload"

    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        stranger = other.new_page()
        open_app(stranger, server)
        time.sleep(1.5)
        assert status_texts(stranger) == [], "another browser sees this learner's run"
    finally:
        other.close()
    click(page, "Stop")
    wait_for_status(page, "stopped", timeout=10)


def test_a_locked_link_cannot_change_the_locked_control_and_trains_with_its_values(page, server):
    """A teacher's link: dataset locked, seed hidden; the learner can still change the rest."""
    params = {
        **RunConfig(dataset="xor", seed=5, epochs=3).to_query_params(),
        "lock": "dataset",
        "hide": "seed",
    }
    page.goto(server.url + "?" + urlencode(params))
    page.get_by_role("heading", name="Playground").wait_for(timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    dataset = sidebar.get_by_role("combobox", name="Dataset", exact=True)
    expect(dataset).to_be_disabled()
    dataset.click(force=True)  # a click on a locked box opens nothing
    assert page.get_by_role("option", name="moons", exact=True).count() == 0
    assert sidebar.get_by_label("Seed", exact=True).count() == 0
    expect(sidebar.get_by_text("Set by this link.")).to_be_visible()
    choose(page, "Hidden activation", "tanh")  # the rest still works
    assert "lock=dataset" in page.url and "hide=seed" in page.url and "dataset=xor" in page.url
    click(page, "Train")
    wait_for_status(page, "done")
    assert "dataset=xor" in page.url and "seed=5" in page.url and "hide=seed" in page.url
    assert page.locator("[data-testid=stException]").count() == 0


#: Formulas wider than their box. KaTeX lets some glyphs hang over by 2 px (a fraction bar, an
#: arrow), which nobody sees; a formula cut by its column was 20 px and more over.
CLIPPED_FORMULAS_JS = """() => [...document.querySelectorAll('.katex-display')]
    .filter(e => e.scrollWidth > e.clientWidth + 3).map(e => e.innerText.slice(0, 40))"""


def test_every_cards_formulas_fit_their_column(page, server):
    """A card's Why sits in half a 1400 px page: no formula may run past its edge (vanishing-depth's
    two initialisations on one line did)."""
    from nnexplore.experiments import EXPERIMENTS

    page.set_viewport_size({"width": 1400, "height": 1000})
    for slug, exp in EXPERIMENTS.items():
        page.goto(f"{server.url}experiments?experiment={slug}")
        page.get_by_role("heading", name=exp.title).wait_for(timeout=30_000)
        page.locator(".katex-display").first.wait_for(timeout=20_000)
        assert page.evaluate(CLIPPED_FORMULAS_JS) == [], slug


def test_theory_formulas_fit_their_column_and_icons_need_no_emoji_font(page, server):
    """At 1400 px no formula runs past its column's edge, and the navigation's icons are drawn from
    Streamlit's icon font (Debian's Chromium has no emoji font: emoji icons showed as empty boxes)."""
    page.goto(server.url + "theory")
    page.get_by_role("heading", name="1. Activation functions and their slopes").wait_for(timeout=30_000)
    page.locator(".katex-display").first.wait_for(timeout=20_000)
    assert page.evaluate(CLIPPED_FORMULAS_JS) == []
    nav = page.get_by_test_id("stSidebarNav").inner_text()
    assert re.search(r"[\U0001F300-\U0001FAFF]", nav) is None, nav
    assert page.get_by_test_id("stSidebarNav").locator("[data-testid=stIconMaterial]").count() == 3


def _epoch(text: str) -> float:
    return float(re.search(r"epoch ([\d.]+)", text).group(1))


def test_learners_on_one_link_share_one_run_and_each_owns_their_copy(page, server, browser):
    """Three browsers open the same link: one computation, joined live; one learner's Stop stops
    only their copy, and the run ends once the last learner who follows it stops it. A short run
    trained to done is then given whole, at once, to a learner who asks for it after the end."""
    from devtools.procmem import training_processes

    # about 48,000 steps: still training when all three have joined and the processes are counted
    # (at 24,000 a quicker machine ended it first: CI once counted no training process)
    cfg = RunConfig(epochs=24, n_samples=20000, batch_size=8, seed=41)
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    try:
        first, second, stopper, late = [page] + [c.new_page() for c in contexts]
        for learner in (first, second, stopper):
            open_app(learner, server, cfg)
        click(first, "Train")
        started_at = _epoch(wait_for_status(first, TRAINING)[0])
        for learner in (second, stopper):
            click(learner, "Train")
        for learner in (second, stopper):
            # Joined live: training at once (one slot: a run of its own would wait in the queue),
            # and already as far as the first learner's run.
            assert _epoch(wait_for_status(learner, TRAINING, timeout=20)[0]) >= started_at
        second.get_by_text("so this copy follows it").first.wait_for(timeout=10_000)  # told, in words
        assert first.get_by_text("so this copy follows it").count() == 0
        seen = []
        for _ in range(5):
            seen.append(len(training_processes(server.proc.pid)))
            time.sleep(0.2)
        assert set(seen) == {1}, f"training processes seen: {seen}"

        click(stopper, "Stop")
        wait_for_status(stopper, "stopped", timeout=10)
        before = _epoch(wait_for_status(second, TRAINING)[0])
        time.sleep(2)
        assert _epoch(wait_for_status(first, TRAINING)[0]) > before, "one learner's Stop stopped the others"
        # The two left stop too: the run ends with its last follower (waiting for its natural end
        # took a minute of the suite).
        click(second, "Stop")
        wait_for_status(second, "stopped", timeout=10)
        assert _epoch(wait_for_status(first, TRAINING)[0]) > before
        click(first, "Stop")
        wait_for_status(first, "stopped", timeout=10)
        deadline = time.time() + 10
        while training_processes(server.proc.pid) and time.time() < deadline:
            time.sleep(0.2)
        assert training_processes(server.proc.pid) == []

        short = cfg.replace(epochs=1)  # 2,500 steps: a few seconds
        open_app(first, server, short)
        click(first, "Train")
        done = _done(wait_for_status(first, "done", timeout=60))  # beside the stopped run, named apart
        open_app(late, server, short)
        click(late, "Train")
        assert _done(wait_for_status(late, "done", timeout=10)) == done  # served whole, not trained again
        assert training_processes(server.proc.pid) == []
        late.get_by_text("shown at once instead of being trained again").first.wait_for(timeout=10_000)
        late.get_by_role("heading", name="Accuracy").wait_for(timeout=10_000)
        assert late.locator("[data-testid=stException]").count() == 0
    finally:
        for context in contexts:
            context.close()


def _done(statuses: list[str]) -> str:
    """What the one status line that says done says after the run's name."""
    (line,) = [s for s in statuses if ": done" in s]
    return line.split(": ", 1)[1]


def _loads_torch(pid: int) -> bool:
    """Whether the process has torch's library mapped (imported torch), read from /proc."""
    return "libtorch_cpu" in Path(f"/proc/{pid}/maps").read_text()


def test_a_server_that_draws_only_playgrounds_never_imports_torch(page):
    """Training happens in the training processes; the server draws pages from what they send. Its
    own torch import cost about 1 s of a one-core box on the first page and 150 MB; only the
    Theory page (and the Experiments panels) computes with torch in the server."""

    fresh = StreamlitServer({})
    try:
        open_app(page, fresh, RunConfig(epochs=3))
        click(page, "Train")
        wait_for_status(page, "done")
        wait_for_heading(page, "Decision regions")
        # a drawn chart: Vega draws on a canvas or as SVG (Streamlit picks SVG unless a chart has 2,000+ marks)
        page.locator("[data-testid=stVegaLiteChart] .marks").first.wait_for(timeout=20_000)
        assert page.locator("[data-testid=stException]").count() == 0
        assert not _loads_torch(fresh.proc.pid)
        page.goto(fresh.url + "theory")
        page.get_by_role("heading", name="1. Activation functions and their slopes").wait_for(timeout=30_000)
        assert _loads_torch(fresh.proc.pid)
    finally:
        fresh.stop()


def test_a_card_asks_what_you_expect_and_answers_once_its_runs_end(page, server):
    """Predict, then look: pick an answer before the runs (Why waits, closed), run the card, and the
    guess is shown beside what the runs show, Why open and every formula within its column."""
    from nnexplore.experiments import experiment_for
    from nnexplore.ui import predict

    exp = experiment_for("why-log")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(server.url + "experiments?experiment=why-log")
    page.get_by_role("heading", name=exp.title, exact=True).wait_for(timeout=30_000)
    page.get_by_test_id("stRadio").get_by_text(exp.prediction.answer, exact=True).click()
    expanders = page.get_by_test_id("stExpander")
    expanders.filter(has_text=predict.WHY_WAITING).wait_for(timeout=10_000)
    assert not expanders.filter(has_text=predict.WHY_WAITING).locator("details").evaluate("d => d.open")
    click(page, "Run this experiment")
    verdict = page.get_by_test_id("stAlert").filter(has_text="You guessed")
    verdict.wait_for(timeout=90_000)
    assert "Well predicted" in verdict.inner_text() and exp.prediction.answer in verdict.inner_text()
    deadline = time.time() + 10  # the verdict can show a moment before the page's last redraw ends
    while time.time() < deadline and page.get_by_test_id("stRadio").count():
        time.sleep(0.25)
    assert page.get_by_test_id("stRadio").count() == 0  # asked only before the card's runs
    why = expanders.filter(has_text=predict.WHY_OPEN).locator("details")
    deadline = time.time() + 10
    while time.time() < deadline and not why.evaluate("d => d.open"):
        time.sleep(0.25)
    assert why.evaluate("d => d.open")
    page.locator(".katex-display").first.wait_for(timeout=10_000)
    assert page.evaluate(CLIPPED_FORMULAS_JS) == []
    assert page.locator("[data-testid=stException]").count() == 0
