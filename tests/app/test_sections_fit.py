"""A regression's page (AppTest with real finished runs): its R² and its fit are drawn where a
classification's accuracy and decision regions are, one picture per run, and nothing that reads
accuracy breaks on its records."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from devtools.bench_draw import finished_job
from nnexplore.config import RunConfig
from nnexplore.ui.sections.fit import CURVE_CAPTION, SURFACE_CAPTION
from nnexplore.views import CHART_ACCURACY, CHART_FIT, CHART_R2, CHART_REGIONS

TIMEOUT = 120
SINE = RunConfig(dataset="sine", output_activation="none", loss="mse", epochs=4, hidden=(16, 16))


def _page_app(headline: tuple[str, ...], offered: tuple[str, ...]) -> None:
    import streamlit as st

    from nnexplore.ui.live import view as live

    live._statuses(st.session_state["jobs"])
    live._draw(st.session_state["jobs"], "page", (headline, offered))


@pytest.fixture(scope="module")
def jobs() -> dict:
    """Finished runs: sine with raw outputs and with a sigmoid, the surface, and moons to compare."""
    made = {
        "raw": finished_job(SINE),
        "sigmoid": finished_job(SINE.replace(output_activation="sigmoid")),
        "surface": finished_job(SINE.replace(dataset="surface")),
        "moons": finished_job(RunConfig(epochs=2, hidden=(8,))),
    }
    for label, job in made.items():
        job.label = label
    return made


def _draw(jobs: list, headline: tuple[str, ...], offered: tuple[str, ...] = ()) -> AppTest:
    at = AppTest.from_function(_page_app, args=(headline, offered or headline), default_timeout=TIMEOUT)
    at.session_state["jobs"] = jobs
    return at.run()


def _headings(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def test_a_sine_page_shows_its_r2_and_one_fitted_curve_per_run_and_a_sigmoids_floor(jobs):
    at = _draw([jobs["raw"], jobs["sigmoid"]], ("r2", "fit"))
    assert not at.exception
    assert _headings(at) == [CHART_R2, CHART_FIT, "Compare runs"]
    assert len(at.get("vega_lite_chart")) == 3  # R², and a curve per run
    assert [m.value for m in at.markdown][:2] == ["**raw**", "**sigmoid**"]  # each run named above
    assert CURVE_CAPTION in [c.value for c in at.caption]
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    curves = [s for s in specs if "y: the target" in json.dumps(s, ensure_ascii=False)]
    assert len(curves) == 2
    floors = [any(layer["mark"]["type"] == "rule" for layer in spec["layer"]) for spec in curves]
    assert floors == [False, True]  # only the sigmoid's curve draws the floor it cannot pass
    table = at.dataframe[0].value
    assert "test accuracy" not in table.columns and table["test R²"].notna().all()
    assert table["test R²"].iloc[0] > 0.8 > table["test R²"].iloc[1]


def test_a_surface_page_shows_its_fitted_surface_and_its_hidden_units(jobs):
    at = _draw([jobs["surface"]], ("r2", "fit"), ("r2", "fit", "hidden_units"))
    assert not at.exception and CHART_FIT in _headings(at)
    assert SURFACE_CAPTION in [c.value for c in at.caption]
    spec = json.loads(at.get("vega_lite_chart")[1].proto.spec)
    assert any(layer["mark"]["type"] == "image" for layer in spec["layer"])
    at.get("button_group")[0].set_value(["Hidden units"]).run()
    assert not at.exception and "Hidden units" in _headings(at)


def test_a_page_mixing_a_regression_and_a_classification_draws_each_its_own(jobs):
    mixed = [jobs["moons"], jobs["raw"]]
    headline = ("accuracy", "r2", "regions", "fit")
    at = _draw(mixed, headline)
    assert not at.exception
    assert _headings(at) == [CHART_ACCURACY, CHART_R2, CHART_REGIONS, CHART_FIT, "Compare runs"]
    statuses = [s.value for s in at.success]
    assert "test accuracy" in statuses[0] and "test R² " in statuses[1]
    table = at.dataframe[0].value
    assert table["test accuracy"].notna().tolist() == [True, False]
    assert table["test R²"].notna().tolist() == [False, True]
    # every view the page can show draws without an exception, whatever kind of run it reads
    from nnexplore import views

    offered = views.offered({"moons", "sine"}, hidden=True)
    at = _draw(mixed, headline, offered)
    at.get("button_group")[0].set_value([views.BY_NAME[n].title for n in offered if n not in headline]).run()
    assert not at.exception
