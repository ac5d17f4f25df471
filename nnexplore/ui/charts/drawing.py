"""A learner's own drawing, read by every finished run: each run's ten outputs as bars.

Pure functions DataFrame -> chart, no state, no streamlit. The outputs come from
nnexplore.drawing.forward (the run's final weights, in numpy).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.style import clean, reference_rule, run_color

#: Bars outside [0, 1] get this outline: the one thing a probability can never be.
OUTSIDE_STROKE = "#000000"


def readout_frame(outputs: Sequence[np.ndarray], runs: Sequence[str]) -> pd.DataFrame:
    """Long: run, digit (0–9), output, outside ([0, 1]) for each run's outputs on the drawing."""
    parts = [
        pd.DataFrame({"run": run, "digit": np.arange(len(out)), "output": np.asarray(out, dtype=float)})
        for out, run in zip(outputs, runs, strict=True)
    ]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["run", "digit", "output"])
    return df.assign(outside=(df["output"] < 0) | (df["output"] > 1))


def readout_chart(df: pd.DataFrame, runs: Sequence[str], height: int = 220) -> alt.LayerChart:
    """Each run's ten outputs side by side per digit, in the run's colour, over dotted rules at 0
    and 1; an output outside [0, 1] (possible only for raw outputs) has a black outline.

    ``df``: readout_frame's columns. The y axis always shows 0 to 1, and more where an
    output goes beyond, so raw outputs are seen against the range of a probability.
    """
    y = alt.Y("output:Q", title="output", scale=alt.Scale(domain=alt.DomainUnionWith(unionWith=[0, 1])))
    bars = (
        alt.Chart(bar_rows(df))
        .mark_bar()
        .encode(
            x=alt.X("digit:O", title="digit", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("run:N", sort=list(runs)),
            y=y,
            color=run_color(list(runs)),
            stroke=alt.condition("datum.outside", alt.value(OUTSIDE_STROKE), alt.value(None)),
            strokeWidth=alt.value(1.5),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("digit:O"),
                alt.Tooltip("output:Q", format=".3f"),
                alt.Tooltip("where:N", title="output is"),
            ],
        )
    )
    return alt.layer(bars, *reference_rule([0.0, 1.0], ["0", "1"], y=y), height=height)


def bar_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The bars' rows: readout_frame's, with the words a tooltip gives for ``outside``."""
    return clean(df, ["output"]).assign(
        where=lambda d: np.where(d["outside"], "outside [0, 1]", "inside [0, 1]")
    )
