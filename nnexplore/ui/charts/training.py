"""Charts of a run's progress over the epochs: accuracy, loss, outputs outside [0, 1], weak, off and dead units.

Pure functions DataFrame -> chart, no state, no streamlit. Inputs are the
tidy frames of :mod:`nnexplore.ui.charts.frames`; the shared conventions
(colour = run, dashed = training data) are in :mod:`nnexplore.ui.charts.style`.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from nnexplore.activations import WEAK_SHARE
from nnexplore.ui.charts.style import (
    HEIGHT,
    clean,
    epoch_x,
    last_points,
    layer_color,
    layer_order,
    run_color,
    run_domain,
    runs_present,
)

SPLIT_DASH = {"train": [5, 3], "test": [1, 0]}
ACC_LABELS = {"train_acc": "train", "test_acc": "test"}
LOSS_LABELS = {"loss": "train", "test_loss": "test"}
SIDE_LABELS = {"out_below_share": "below 0", "out_above_share": "above 1"}


def accuracy_chart(df_long: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """Training (dashed) and test (solid) accuracy against epochs, one colour per run.

    Input: :func:`frames.metric_long` with metrics train_acc and test_acc
    (columns run, epoch, step, metric, value). The y axis is fixed to 0–100 %
    so runs and moments compare at a glance.
    """
    domain = run_domain(df_long, runs)
    data = clean(df_long, ["epoch", "value"])
    data["split"] = data["metric"].map(ACC_LABELS).fillna(data["metric"])
    encoding = dict(
        x=epoch_x(),
        y=alt.Y(
            "value:Q",
            title="accuracy (share right)",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        color=run_color(domain),
        tooltip=[
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="accuracy", format=".1%"),
        ],
    )
    dash = split_dash()
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2, clip=True)
        .encode(**encoding, strokeDash=dash, detail=alt.Detail("split:N"))
    )
    now = alt.Chart(last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(lines, now, title="Accuracy (dashed: training data, solid: test data)", height=HEIGHT)


def split_dash() -> alt.StrokeDash:
    """Dashed training data, solid test data: the one legend accuracy and loss share."""
    return alt.StrokeDash(
        "split:N",
        title="data",
        scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
        legend=alt.Legend(orient="bottom"),
    )


def loss_chart(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """Loss against epochs, one colour per run; log scale when every value is above 0.

    Input: :func:`frames.runs_frame` (columns run, epoch, step, loss and,
    optionally, test_loss drawn solid next to the dashed training loss). A
    diverged run's inf/NaN losses are left out (the line stops there). A log
    scale shows a loss falling from 2 to 0.02 as clearly as from 2 to 1.
    """
    domain = run_domain(df, runs)
    value_cols = [c for c in LOSS_LABELS if c in df.columns]
    long = df.melt(
        id_vars=[c for c in ("run", "epoch", "step") if c in df.columns],
        value_vars=value_cols,
        var_name="metric",
        value_name="value",
    )
    data = clean(long, ["epoch", "value"])
    log = not data.empty and bool((data["value"] > 0).all())
    data["split"] = data["metric"].map(LOSS_LABELS)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    title = "loss (log scale)" if log else "loss"
    encoding = dict(
        x=epoch_x(),
        y=alt.Y("value:Q", title=title, scale=scale),
        color=run_color(domain),
        tooltip=[
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="loss", format=".4g"),
        ],
    )
    dash = split_dash()
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(**encoding, strokeDash=dash, detail=alt.Detail("split:N"))
    )
    now = alt.Chart(last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(lines, now, title="Loss (lower is better; dashed: training, solid: test)", height=HEIGHT)


def outside_chart(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Share of held-out output values below 0 (dashed) and above 1 (solid) against epochs.

    Input: :func:`frames.runs_frame` (out_below_share, out_above_share). With
    a sigmoid or softmax output both stay at 0 %; with no output activation
    they show how often the network answers with a "probability" that is not one.
    """
    domain = run_domain(df, runs)
    long = df.melt(
        id_vars=[c for c in ("run", "epoch", "step") if c in df.columns],
        value_vars=list(SIDE_LABELS),
        var_name="metric",
        value_name="value",
    )
    data = clean(long, ["epoch", "value"])
    data["side"] = data["metric"].map(SIDE_LABELS)
    return (
        alt.Chart(data, title="Outputs outside [0, 1] (not valid probabilities)", height=HEIGHT)
        .mark_line(strokeWidth=2)
        .encode(
            x=epoch_x(),
            y=alt.Y(
                "value:Q",
                title="share of output values",
                # at least 0 to 10%, so an all-zero line sits on a readable axis
                scale=alt.Scale(domain=[0, max(0.1, float(data["value"].max()) if len(data) else 0.0)]),
                axis=alt.Axis(format=".0%"),
            ),
            color=run_color(domain),
            strokeDash=alt.StrokeDash(
                "side:N",
                title="outside [0, 1]",
                scale=alt.Scale(domain=["below 0", "above 1"], range=[[5, 3], [1, 0]]),
                legend=alt.Legend(orient="bottom"),
            ),
            detail=alt.Detail("side:N"),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("side:N", title="values"),
                alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                alt.Tooltip("value:Q", title="share", format=".2%"),
            ],
        )
    )


UNIT_DASH = {"weak": [1, 0], "off": [6, 3], "dead": [2, 2]}
"""One line style per kind of unit on the units chart: weak solid, off dashed, dead dotted."""


def weak_off_dead_chart(df_layer: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Share of weak (solid), off (dashed) and dead (dotted) units per hidden layer over time.

    Input: :func:`frames.weak_off_dead_long` (a ``metric`` column: "weak", "off" or "dead"). A kind a
    run's activation cannot have has no rows, so no line (no flat zero that looks like a
    finding). One run: colour = layer (by depth). Several runs: colour = run (same colours as
    the other charts) and each layer is its own line, named in the tooltip, because a chart
    has only so many channels.
    """
    domain = run_domain(df_layer, runs)
    data = clean(df_layer, ["epoch", "value"])
    order = layer_order(data)
    several = runs_present(data) > 1
    encoding = {
        "x": epoch_x(),
        "y": alt.Y(
            "value:Q",
            title="share (weak, off: of unit values; dead: of units)",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        "strokeDash": alt.StrokeDash(
            "metric:N",
            title="units",
            scale=alt.Scale(domain=list(UNIT_DASH), range=list(UNIT_DASH.values())),
            legend=alt.Legend(orient="bottom"),
        ),
        "detail": alt.Detail("layer:N" if several else "run:N"),
        "color": run_color(domain) if several else layer_color(order, title="hidden layer"),
        "tooltip": [
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("layer:N", title="layer"),
            alt.Tooltip("metric:N", title="units"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="share", format=".1%"),
        ],
    }
    return (
        alt.Chart(
            data,
            # Title and two subtitle lines: one line was cut off in a half-width column.
            title=alt.Title(
                "Units that pass little or no gradient",
                subtitle=[
                    f"weak: slope under {WEAK_SHARE:.0%} of its largest",
                    "off: ReLU's input at or below 0 · dead: off for every example",
                ],
            ),
            height=HEIGHT,
        )
        .mark_line(strokeWidth=2)
        .encode(**encoding)
    )
