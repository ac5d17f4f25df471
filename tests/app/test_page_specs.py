"""Every chart a finished page sends is valid Vega-Lite.

The app builds its charts with Altair's per-object checks off (nnexplore/ui/charts/__init__.py:
they were 45% of a page's chart time), so this test checks the whole specs the browser gets,
against the Vega-Lite schema Altair ships.
"""

from __future__ import annotations

import json

import altair as alt
import jsonschema
import pytest
from streamlit.testing.v1 import AppTest

from devtools.bench_draw import finished_job
from nnexplore.config import RunConfig

#: Two finished toy runs that between them draw every chart of the Playground: softmax + CE,
#: and sigmoid outputs with squared error (the outside-[0, 1] charts).
CONFIGS = [
    RunConfig(epochs=3, seed=0),
    RunConfig(dataset="spiral", hidden_activation="tanh", output_activation="sigmoid", loss="mse", epochs=3),
]


def _page() -> None:
    import streamlit as st

    from nnexplore import views
    from nnexplore.ui.live import view as live

    everything = tuple(view.name for view in views.VIEWS)
    live._draw(st.session_state["jobs"], "specs", (everything, everything))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(alt.vegalite.v6.schema.core.load_schema())


def test_the_validator_rejects_a_broken_spec(validator):
    assert list(validator.iter_errors({"mark": {"type": "no such mark"}, "data": {"values": []}}))


def test_every_chart_of_a_finished_page_is_valid_vega_lite(validator):
    at = AppTest.from_function(_page, default_timeout=120)
    at.session_state["jobs"] = [finished_job(cfg) for cfg in CONFIGS]
    at.run()
    assert not at.exception
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) >= 12  # the charts of both runs, not a page that drew nothing
    for spec in specs:
        errors = [error.message for error in validator.iter_errors(spec)]
        assert not errors, (spec.get("title"), errors[:3])
