"""The sidebar with AppTest: settings that are fine one by one but together too big a run."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_playground import widget

from nnexplore.config import MAX_STEPS

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
# 20,000 toy points (16,000 for training) in batches of 1 for 50 epochs: 800,000 steps.
TOO_BIG = {"dataset": "moons", "n_samples": 20000, "batch_size": 1, "epochs": 50}


def test_a_too_big_run_typed_into_the_sidebar_is_explained_not_raised():
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    for name, value in TOO_BIG.items():
        widget(at, name).set_value(value)
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.sidebar.error)
    assert "800,000 update steps" in errors and f"{MAX_STEPS:,}" in errors
    assert "larger batch size" in errors  # what to change, in plain words
    train = next(b for b in at.button if b.label == "Train")
    assert train.disabled
    assert at.title[0].value == "Playground"  # the rest of the page is drawn
    assert "800,000 update steps" in at.main.error[0].value  # said where Train is, not only in the sidebar

    widget(at, "epochs").set_value(5).run()  # 5 epochs of 16,000 steps: 80,000, under the limit
    assert not at.exception and not at.sidebar.error
    assert not next(b for b in at.button if b.label == "Train").disabled
