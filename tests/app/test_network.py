"""The picture of the network Train will build: its frames, its size in words, and the page."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import jsonschema
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.ui.charts.network import MAX_DRAWN, network_chart, network_frames, parameter_count
from nnexplore.ui.network import layers

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


def test_each_layer_is_a_column_of_at_most_ten_circles_joined_to_the_next():
    cfg = RunConfig(dataset="mnist", hidden=(128, 3), output_activation="softmax")
    units, weights = network_frames(layers(cfg))
    assert units.groupby("x").size().tolist() == [MAX_DRAWN, MAX_DRAWN, 3, MAX_DRAWN]
    assert len(weights) == MAX_DRAWN * MAX_DRAWN + MAX_DRAWN * 3 + 3 * MAX_DRAWN
    assert set(zip(weights["x"], weights["x2"])) == {(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)}
    # every column is centred on the same line, so a narrow layer sits in the middle; a layer
    # drawn in part leaves its middle to a "⋮"
    assert units.groupby("x")["y"].mean().abs().max() == pytest.approx(0)
    assert set(units[units["y"] == 0]["x"]) == {2.0}  # only the 3-unit layer has a unit there


def test_the_words_say_each_layers_real_size_and_activation():
    words = [layer.words for layer in layers(RunConfig(dataset="mnist", hidden=(128, 64)))]
    assert words == ["784 inputs: pixels", "128 units, ReLU", "64 units, ReLU", "10 outputs, softmax"]
    toy = layers(RunConfig(dataset="blobs", hidden=(8,), hidden_activation="tanh", output_activation="none"))
    assert [layer.words for layer in toy] == ["2 inputs: x, y", "8 units, tanh", "4 outputs, no activation"]
    sine = layers(RunConfig(dataset="sine", hidden=(8,), output_activation="none", loss="mse"))
    assert [layer.words for layer in sine] == [
        "1 input: x",
        "8 units, ReLU",
        "1 output, no activation: the predicted number",
    ]
    surface = layers(RunConfig(dataset="surface", hidden=(), output_activation="sigmoid", loss="mse"))
    assert [(layer.units, layer.words) for layer in surface] == [
        (2, "2 inputs: x, y"),
        (1, "1 output, sigmoid: the predicted number"),
    ]


@pytest.mark.parametrize("hidden", [(16, 16), (128, 64), (3,), (5, 5, 5, 5)])
def test_the_weight_count_is_the_trained_models(hidden):
    from nnexplore.data import load_dataset
    from nnexplore.model import build_model

    cfg = RunConfig(dataset="spiral3", hidden=hidden, n_samples=100)
    data = load_dataset(cfg)
    model = build_model(cfg, data.x_train.shape[1], data.num_classes)
    assert parameter_count(layers(cfg)) == sum(p.numel() for p in model.parameters())


def test_the_picture_is_valid_vega_lite():
    spec = network_chart(*network_frames(layers(RunConfig()))).to_dict()
    validator = jsonschema.Draft7Validator(alt.vegalite.v6.schema.core.load_schema())
    assert [e.message for e in validator.iter_errors(spec)] == []


def _words(chart) -> set[str]:
    """The layer words in a chart's data (Streamlit sends each data set as an Arrow stream)."""
    tables = [pa.ipc.open_stream(d.data.data).read_all() for d in chart.proto.datasets]
    return {w for t in tables if "words" in t.column_names for w in t.column("words").to_pylist()}


def _picture(at: AppTest) -> list:
    return [c for c in at.get("vega_lite_chart") if _words(c)]


def test_the_playground_draws_the_linked_network_and_none_for_an_impossible_one():
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params["hidden"] = "32,8,4"
    at.query_params["dataset"] = "spiral3"
    at.run()
    assert not at.exception
    assert len(_picture(at)) == 1
    assert _words(_picture(at)[0]) == {
        "2 inputs: x, y",
        "32 units, ReLU",
        "8 units, ReLU",
        "4 units, ReLU",
        "3 outputs, softmax",
    }
    assert "2 → 32 → 8 → 4 → 3: 411 weights and biases to learn." in [c.value for c in at.caption]

    hidden = next(w for w in at.sidebar.text_input if w.key == "cfg_hidden")
    hidden.set_value("16,x").run()  # not a list of widths: no network to draw, Train disabled
    assert not at.exception and _picture(at) == []
