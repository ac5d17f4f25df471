"""Charts of a run's progress over the epochs: accuracy (a regression's R²), loss, outputs outside
[0, 1], weak, off and dead units.

Pure functions DataFrame -> chart, no state, no streamlit. Inputs are the
tidy frames of :mod:`nnexplore.ui.charts.frames`; the shared conventions
(colour = run, dashed = training data, a reference value a grey dotted rule,
kinds in panels of their own) are in :mod:`nnexplore.ui.charts.style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from nnexplore.activations import WEAK_SHARE
from nnexplore.ui.charts.frames import UNIT_KINDS
from nnexplore.ui.charts.labels import LOSS_NAMES
from nnexplore.ui.charts.style import (
    HEIGHT,
    PANEL_AXIS,
    SPLIT_DASH,
    clean,
    epoch_x,
    last_points,
    reference_rule,
    run_color,
    run_curve,
    run_domain,
    split_dash,
)
from nnexplore.ui.charts.timeline import with_moment

__all__ = [
    "SPLIT_DASH",
    "accuracy_chart",
    "loss_chart",
    "outside_chart",
    "r2_chart",
    "split_dash",
    "weak_off_dead_chart",
]

ACC_LABELS = {"train_acc": "train", "test_acc": "test"}
LOSS_LABELS = {"loss": "train", "test_loss": "test"}
SIDE_LABELS = {"out_below_share": "below 0", "out_above_share": "above 1"}
CHANCE = "chance"
"""The name written on the accuracy chart's chance rule."""


def chance_notes(classes: Sequence[int]) -> tuple[list[float], list[str]]:
    """The chance accuracies 1 / classes, one per distinct number of classes, and their names:
    "chance", or "chance (10 classes)" when runs on one page learn problems of different sizes."""
    counts = sorted({int(n) for n in classes if int(n) > 0})
    notes = [CHANCE if len(counts) == 1 else f"{CHANCE} ({n} classes)" for n in counts]
    return [1 / n for n in counts], notes


def accuracy_chart(
    df_long: pd.DataFrame,
    runs: Sequence[str] | None = None,
    *,
    classes: Sequence[int] = (),
    moment: bool = False,
) -> alt.LayerChart:
    """Training (dashed) and test (solid) accuracy against epochs, one colour per run.

    Input: :func:`frames.metric_long` with metrics train_acc and test_acc
    (columns run, epoch, step, metric, value). The y axis is fixed to 0–100 %
    so runs and moments compare at a glance. ``classes``: each run's number of
    classes; chance (1 / classes, what guessing scores) is a grey dotted rule,
    one per distinct value, named on the chart. ``moment``: the page has a timeline
    control, and a rule marks its epoch (nnexplore.ui.charts.timeline).
    """
    domain = run_domain(df_long, runs)
    data = clean(df_long, ["epoch", "value"])
    data["split"] = data["metric"].map(ACC_LABELS).fillna(data["metric"])
    y = alt.Y(
        "value:Q",
        title="accuracy: share of examples right (%)",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    encoding = run_curve(y, domain, "value", "accuracy", ".1%", split=True)
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2, clip=True)
        .encode(**encoding, strokeDash=split_dash(), detail=alt.Detail("split:N"))
    )
    now = alt.Chart(last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    values, notes = chance_notes(classes)
    chance = reference_rule(values, notes, y=y) if values else []
    chart = alt.layer(lines, now, *chance, height=HEIGHT)
    return with_moment(chart) if moment else chart


#: The name written on the R² chart's rule at 0: the score of a network that ignores its input.
MEAN_EVERYWHERE = "0: the mean everywhere"
#: The R² axis goes down to R2_ROOM below 0 (room for the rule's name under it), or to the lowest
#: R² drawn but never below R2_FLOOR: a network's first answers can score −20 (far worse than the
#: mean), which would squash the lines that matter.
R2_ROOM = -0.1
R2_FLOOR = -1.0


def r2_chart(df: pd.DataFrame, runs: Sequence[str] | None = None, *, moment: bool = False) -> alt.LayerChart:
    """A regression's R² on the test data against epochs, one colour per run (solid: held out).

    Input: :func:`frames.runs_frame` (its test_r2 column; a classification's rows are NaN and
    draw nothing, so its run keeps its colour but has no line). R² = 1 − SSE/SST
    (docs/metrics.md): 1 is a perfect fit, and 0, a grey dotted rule, is what answering the
    targets' mean everywhere scores, the best a network that ignores its input can do; a line
    below it fits worse than that. The axis runs from just below 0 (or the lowest value drawn,
    but not below R2_FLOOR, where lines are cut) to 1. ``moment``: mark the timeline's epoch.
    """
    domain = run_domain(df, runs)
    data = clean(
        df[[c for c in ("run", "epoch", "step", "test_r2") if c in df.columns]], ["epoch", "test_r2"]
    )
    low = max(R2_FLOOR, min(R2_ROOM, float(data["test_r2"].min()) if len(data) else 0.0))

    def r2_y(field: str) -> alt.Y:  # the lines' and the rule's y: one scale, one title
        return alt.Y(
            f"{field}:Q", title="R² on test data (1: a perfect fit)", scale=alt.Scale(domain=[low, 1])
        )

    y = r2_y("test_r2")
    encoding = run_curve(y, domain, "test_r2", "R² (test)", ".3f")
    lines = alt.Chart(data).mark_line(strokeWidth=2, clip=True).encode(**encoding)
    now = alt.Chart(last_points(data, ["run"])).mark_point(filled=True, size=40, clip=True).encode(**encoding)
    zero = reference_rule([0.0], [MEAN_EVERYWHERE], y=r2_y("value"))
    chart = alt.layer(lines, now, *zero, height=HEIGHT)
    return with_moment(chart) if moment else chart


def _loss_panel(data: pd.DataFrame, domain: Sequence[str], name: str, height: int) -> alt.LayerChart:
    """One kind of loss against epochs: log scale when every value is above 0."""
    log = not data.empty and bool((data["value"] > 0).all())
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    encoding = run_curve(
        alt.Y(
            "value:Q",
            title=f"{name} (log scale)" if log else name,
            scale=scale,
            axis=alt.Axis(minExtent=PANEL_AXIS),
        ),
        domain,
        "value",
        name,
        ".4g",
        split=True,
    )
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(**encoding, strokeDash=split_dash(), detail=alt.Detail("split:N"))
    )
    now = alt.Chart(last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(lines, now, height=height)


def loss_chart(
    df: pd.DataFrame, runs: Sequence[str] | None = None, *, kinds: Mapping[str, str] | None = None
) -> alt.LayerChart | alt.VConcatChart:
    """Loss against epochs, one colour per run; one panel per kind of loss, each its own y axis.

    Input: :func:`frames.runs_frame` (columns run, epoch, step, loss and,
    optionally, test_loss drawn solid next to the dashed training loss).
    ``kinds``: each run's loss (``RunConfig.loss``: cross_entropy, mse,
    binary_cross_entropy). Losses of different kinds are not measured on one
    scale (a stuck squared-error run sits below a learning cross-entropy one),
    so runs with different losses get a panel per kind, titled with its name,
    stacked; runs that share one get one chart with the name on its y axis. A
    panel is on a log scale when all its values are above 0: a loss falling
    from 2 to 0.02 shows as clearly as from 2 to 1. A diverged run's inf/NaN
    losses are left out (the line stops there).
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
    data["split"] = data["metric"].map(LOSS_LABELS)
    kinds = {str(run): str(kind) for run, kind in (kinds or {}).items()}
    names = [LOSS_NAMES.get(kinds[run], kinds[run]) for run in domain if run in kinds]
    panels = list(dict.fromkeys(names))
    if len(panels) <= 1:
        return _loss_panel(data, domain, f"{panels[0]} loss" if panels else "loss", HEIGHT)
    named = data["run"].map(lambda run: LOSS_NAMES.get(kinds.get(run, ""), kinds.get(run, "")))
    height = 180 if len(panels) == 2 else 140
    charts = [
        _loss_panel(data[named == name].reset_index(drop=True), domain, name, height).properties(
            title=name[0].upper() + name[1:]
        )
        for name in panels
    ]
    return alt.vconcat(*charts, spacing=12)


def outside_chart(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.VConcatChart:
    """Share of held-out output values below 0 and above 1 against epochs: one panel each.

    Input: :func:`frames.runs_frame` (out_below_share, out_above_share). With
    a sigmoid or softmax output both stay at 0 %; with no output activation
    they show how often the network answers with a "probability" that is not
    one. The two panels share their y axis; their lines are solid (held-out data).
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
    # at least 0 to 10%, so an all-zero line sits on a readable axis
    top = max(0.1, float(data["value"].max()) if len(data) else 0.0)

    def panel(side: str) -> alt.Chart:
        return (
            alt.Chart(data[data["side"] == side].reset_index(drop=True), title=f"Outputs {side}", height=110)
            .mark_line(strokeWidth=2)
            .encode(
                x=epoch_x("epochs"),
                y=alt.Y(
                    "value:Q",
                    title="share of outputs (%)",
                    scale=alt.Scale(domain=[0, top]),
                    axis=alt.Axis(format=".0%", tickCount=3, minExtent=PANEL_AXIS),
                ),
                color=run_color(domain),
                tooltip=[
                    alt.Tooltip("run:N", title="run"),
                    alt.Tooltip("side:N", title="values"),
                    alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                    alt.Tooltip("value:Q", title="share", format=".2%"),
                ],
            )
        )

    return alt.vconcat(*(panel(side) for side in SIDE_LABELS.values()), spacing=12)


UNIT_TITLES = {
    "weak": f"Weak: slope under {WEAK_SHARE:.0%} of its largest",
    "off": "Off: ReLU's input at or below 0",
    "dead": "Dead: off for every example",
}
"""Each kind's panel title on the units chart, in the order of frames.UNIT_KINDS."""
UNIT_AXES = {
    "weak": "share of unit values (%)",
    "off": "share of unit values (%)",
    "dead": "share of units (%)",
}


def layer_means(df_layer: pd.DataFrame) -> pd.DataFrame:
    """Each run's share per record and kind, averaged over its hidden layers (each layer counts
    the same, as in the sentence under the chart): columns run, metric, step, epoch, value, layers."""
    data = clean(df_layer, ["epoch", "value"])
    if data.empty:
        return pd.DataFrame({c: [] for c in ("run", "metric", "step", "epoch", "value", "layers")})
    return (
        data.groupby(["run", "metric", "step"], sort=False)
        .agg(epoch=("epoch", "first"), value=("value", "mean"), layers=("value", "size"))
        .reset_index()
    )


def weak_off_dead_chart(df_layer: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.VConcatChart:
    """Share of weak, off and dead units over time: one panel per kind, one line per run.

    Input: :func:`frames.weak_off_dead_long` (a ``metric`` column: "weak", "off" or "dead"). Each
    line is a run's share averaged over its hidden layers, solid (measured on held-out examples)
    in the run's colour, so a line is matched to its run by colour alone. A kind no run can have
    (off for sigmoid, weak for ReLU) has no rows, so no panel (no flat zero that looks like a
    finding); panels are stacked weak, off, dead, each with its own title and axis.
    """
    domain = run_domain(df_layer, runs)
    data = layer_means(df_layer)
    kinds = [kind for kind in UNIT_KINDS.values() if (data["metric"] == kind).any()] or ["dead"]
    height = 140 if len(kinds) <= 2 else 110

    def panel(kind: str) -> alt.Chart:
        return (
            alt.Chart(
                data[data["metric"] == kind].reset_index(drop=True), title=UNIT_TITLES[kind], height=height
            )
            .mark_line(strokeWidth=2)
            .encode(
                x=epoch_x("epochs"),
                y=alt.Y(
                    "value:Q",
                    title=UNIT_AXES[kind],
                    scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%", tickCount=3, minExtent=PANEL_AXIS),
                ),
                color=run_color(domain),
                tooltip=[
                    alt.Tooltip("run:N", title="run"),
                    alt.Tooltip("metric:N", title="units"),
                    alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                    alt.Tooltip("value:Q", title="share, mean of the hidden layers", format=".1%"),
                    alt.Tooltip("layers:Q", title="hidden layers"),
                ],
            )
        )

    return alt.vconcat(*(panel(kind) for kind in kinds), spacing=12)
