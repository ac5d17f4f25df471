"""The answer in front: a finished card's first draw holds its headline views, the More-views
choice and no other chart; a view picked there is drawn, and only then."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from devtools.bench_draw import finished_job
from nnexplore import views
from nnexplore.experiments import EXPERIMENTS

TIMEOUT = 120
#: The issue's bound: a finished card shows at most this many charts as it first appears.
MAX_FIRST_CHARTS = 6


def _card_app(slug: str) -> None:
    import streamlit as st

    from nnexplore.experiments import EXPERIMENTS
    from nnexplore.ui.live import view as live

    exp = EXPERIMENTS[slug]
    live._draw(st.session_state["jobs"], "card", (exp.headline, exp.offered))


@pytest.fixture(scope="module")
def softmax_hidden_jobs() -> list:
    """The softmax-hidden card's four runs, finished, shortened to 3 epochs (the charts are the same)."""
    jobs = []
    for label, cfg in EXPERIMENTS["softmax-hidden"].runs:
        job = finished_job(cfg.replace(epochs=3))
        job.label = label
        jobs.append(job)
    return jobs


def _charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def _headings(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def expected_charts(exp, n_runs: int) -> int:
    """What the card's headline views draw: a per-run view once for each pictured run."""
    return sum(
        views.BY_NAME[name].charts * (n_runs if views.BY_NAME[name].per_run else 1) for name in exp.headline
    )


def test_every_card_first_shows_at_most_six_charts():
    for exp in EXPERIMENTS.values():
        assert expected_charts(exp, len(exp.runs)) <= MAX_FIRST_CHARTS, exp.slug


def test_a_finished_cards_first_draw_is_its_headline_and_the_more_views_choice(softmax_hidden_jobs):
    exp = EXPERIMENTS["softmax-hidden"]
    at = AppTest.from_function(_card_app, args=("softmax-hidden",), default_timeout=TIMEOUT)
    at.session_state["jobs"] = softmax_hidden_jobs
    at.run()
    assert not at.exception
    assert _charts(at) == expected_charts(exp, len(softmax_hidden_jobs)) == MAX_FIRST_CHARTS
    shown = [views.BY_NAME[name].title for name in exp.headline]
    assert [h for h in _headings(at) if h in views.CHARTS] == shown
    more = at.get("button_group")
    assert len(more) == 1 and more[0].label == "More views"
    offered_titles = {views.BY_NAME[name].title for name in exp.offered if name not in exp.headline}
    assert set(more[0].options) == offered_titles  # every other view, and only views with something to show
    assert "Who gets pushed" in offered_titles and "Test digits" not in offered_titles


def test_a_view_picked_under_more_views_is_drawn_and_put_away_again(softmax_hidden_jobs):
    at = AppTest.from_function(_card_app, args=("softmax-hidden",), default_timeout=TIMEOUT)
    at.session_state["jobs"] = softmax_hidden_jobs
    at.run()
    first = _charts(at)
    at.get("button_group")[0].set_value(["Loss"]).run()
    assert not at.exception
    assert "Loss" in _headings(at) and _charts(at) == first + 1
    at.get("button_group")[0].set_value([]).run()
    assert "Loss" not in _headings(at) and _charts(at) == first


def test_a_card_without_hidden_layers_offers_no_view_that_needs_one():
    why_log = EXPERIMENTS["why-log"]
    names = set(why_log.offered)
    assert not names & {"units", "reach", "layers", "hidden_units"}
    assert "landscape" in names and "gradient_check" not in names
