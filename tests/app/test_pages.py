"""AppTest for the Experiments page and the Theory page inside the real dashboard."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nnexplore.experiments import EXPERIMENTS

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_each_experiment_card_renders_from_its_url(slug):
    at = AppTest.from_function(_experiments_script, default_timeout=60)
    at.query_params["experiment"] = slug
    at.run()
    assert not at.exception
    exp = EXPERIMENTS[slug]
    assert at.header[0].value == exp.title
    assert any(b.label == "Run this experiment" for b in at.button)
    assert [s.value for s in at.subheader][:2] == ["What to look for", "Why"]
    assert len(at.latex) >= 1
    assert at.query_params["experiment"] in (slug, [slug])


def test_unknown_experiment_in_url_is_explained():
    at = AppTest.from_function(_experiments_script, default_timeout=60)
    at.query_params["experiment"] = "<script>x</script>"
    at.run()
    assert not at.exception
    assert any("does not exist" in w.value for w in at.warning)


def test_running_an_experiment_trains_all_its_configurations():
    at = AppTest.from_function(_experiments_script, default_timeout=60)
    at.query_params["experiment"] = "softmax-hidden"
    at.run()
    next(b for b in at.button if b.label == "Run this experiment").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        at.run()
        if sum("done" in s.value for s in at.success) == len(EXPERIMENTS["softmax-hidden"].runs):
            break
        time.sleep(0.5)
    assert not at.exception
    done = [s.value for s in at.success if "done" in s.value]
    assert len(done) == len(EXPERIMENTS["softmax-hidden"].runs)
    for label in EXPERIMENTS["softmax-hidden"].labels:
        assert any(label in text for text in done)
    headings = [h.value for h in at.subheader]
    assert "Decision regions" in headings and "Hidden units" not in headings  # the headline only
    more = next(g for g in at.get("button_group") if g.label == "More views")
    more.set_value(["Hidden units"]).run()
    assert "Hidden units" in [h.value for h in at.subheader]  # the card's view, drawn from the runs


def test_the_raw_outputs_card_trains_a_regression_beside_a_classification_and_draws_both():
    exp = EXPERIMENTS["raw-outputs"]
    at = AppTest.from_function(_experiments_script, default_timeout=60)
    at.query_params["experiment"] = exp.slug
    at.run()
    next(b for b in at.button if b.label == "Run this experiment").click().run()
    deadline = time.time() + 120
    while time.time() < deadline and sum("done" in s.value for s in at.success) < len(exp.runs):
        time.sleep(0.5)
        at.run()
    assert not at.exception
    done = [s.value for s in at.success if "done" in s.value]
    assert len(done) == len(exp.runs)
    assert sum("test R²" in text for text in done) == 2 and sum("test accuracy" in text for text in done) == 1
    headings = [h.value for h in at.subheader]
    assert ["Fit to the data", "R² (1 is a perfect fit)", "Accuracy"] == [
        h
        for h in headings
        if h in ("Fit to the data", "R² (1 is a perfect fit)", "Accuracy", "Decision regions")
    ]
    table = at.dataframe[0].value
    assert {"test accuracy", "test R²"} <= set(table.columns)  # each kind's score, side by side


def test_theory_page_renders():
    at = AppTest.from_function(_theory_script, default_timeout=60).run()
    assert not at.exception
    assert at.header[0].value.startswith("Theory")


def _experiments_script():
    import streamlit as st

    from nnexplore.ui.pages.experiments import render_experiments

    st.set_page_config(layout="wide")
    render_experiments()


def _theory_script():
    from nnexplore.ui.pages.theory import render_theory_page

    render_theory_page()
