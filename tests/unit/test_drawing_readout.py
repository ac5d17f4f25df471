"""What the page says and draws about a learner's drawing: the readout chart, its sentence, a dot."""

from __future__ import annotations

import numpy as np
import pytest

from nnexplore.drawing import SMALLEST, is_dot
from nnexplore.ui import sentences
from nnexplore.ui.charts import drawing as D
from nnexplore.ui.charts.style import RUN_PALETTE


def test_the_sentence_names_the_digit_picked_and_how_sure_by_the_kind_of_output():
    probabilities = np.full(10, 0.01)
    probabilities[1] = 0.91
    assert (
        sentences.drawing_sentence("ReLU · softmax · CE", "softmax", probabilities)
        == "In your drawing, *ReLU · softmax · CE* sees a 1 (p = 0.91)."
    )
    sigmoid = sentences.drawing_sentence("sigmoid-run", "sigmoid", probabilities)
    assert "sees a 1 (its output 0.91" in sigmoid and "−" not in sigmoid  # a label's hyphen is no minus
    raw = np.linspace(-0.31, 0.5, 10)
    raw[7] = 1.18
    assert (
        sentences.drawing_sentence("raw outputs · MSE", "none", raw)
        == "In your drawing, *raw outputs · MSE* says 7, its outputs from −0.31 to 1.18, 5 of the ten below 0 or above 1."
    )
    inside = np.linspace(0.0, 0.9, 10)
    assert sentences.drawing_sentence("r", "none", inside).endswith("says 9, its outputs from 0.00 to 0.90.")
    assert "not finite" in sentences.drawing_sentence("r", "none", np.full(10, np.nan))


def test_the_readout_chart_draws_ten_bars_a_run_in_the_runs_colour_and_outlines_outputs_outside_0_1():
    raw = np.linspace(-0.5, 1.5, 10)
    soft = np.full(10, 0.1)
    df = D.readout_frame([soft, raw], ["soft", "raw"])
    assert len(df) == 20 and df["outside"].sum() == int(((raw < 0) | (raw > 1)).sum())
    spec = D.readout_chart(df, ["other run", "soft", "raw"]).to_dict()
    bars, rule, note = spec["layer"]
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["xOffset"]["field"] == "run"
    colour = bars["encoding"]["color"]["scale"]
    assert (
        colour["domain"] == ["other run", "soft", "raw"] and colour["range"] == RUN_PALETTE[:3]
    )  # the page's
    assert bars["encoding"]["stroke"]["condition"]["test"] == "datum.outside"
    assert bars["encoding"]["y"]["scale"]["domain"] == {"unionWith": [0, 1]}  # 0 to 1, and beyond
    rows = (
        spec["datasets"][spec["data"]["name"]] if "data" in spec else spec["datasets"][bars["data"]["name"]]
    )
    assert {row["where"] for row in rows if row["run"] == "raw"} == {"inside [0, 1]", "outside [0, 1]"}


@pytest.mark.parametrize(
    ("box", "dot"),
    [((3, 3), True), ((10, 10), True), ((40, 4), False), ((4, 40), False), ((60, 50), False)],
)
def test_a_dot_is_ink_small_both_ways_and_a_thin_line_is_not(box: tuple[int, int], dot: bool):
    ink = np.zeros((112, 112))
    ink[30 : 30 + box[0], 50 : 50 + box[1]] = 1.0
    assert is_dot(ink) is dot
    assert (max(box) < SMALLEST * 112) is dot
    assert not is_dot(np.zeros((112, 112)))  # empty is not a dot: it says so in other words


def test_the_readout_spec_is_laid_out_once_per_page_and_carries_each_drawings_rows():
    from nnexplore.ui.sections.drawing import readout_spec

    runs = ("soft", "raw")
    first = readout_spec(D.readout_frame([np.full(10, 0.1), np.zeros(10)], list(runs)), runs)
    later = np.linspace(-1, 2, 10)
    second = readout_spec(D.readout_frame([np.full(10, 0.1), later], list(runs)), runs)
    assert second["layer"] is first["layer"]  # the layout is not built again
    name = second["layer"][0]["data"]["name"]
    rows = second["datasets"][name]
    np.testing.assert_allclose(rows[rows["run"] == "raw"]["output"], later)
    assert first["datasets"][name] is not rows  # each drawing its own rows
    assert second["autosize"]["type"] == "fit-x"
