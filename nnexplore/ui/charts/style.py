"""What every run chart shares: the run colours, the reference rules, the epoch axis, cleaning.

The conventions, so that a learner can read one chart after another:

* Colour means *run* wherever runs are compared, and nothing else: the run colours
  (:data:`RUN_PALETTE`) are never used for classes (:data:`CLASS_PALETTE`), for a statistic
  (:data:`STAT_GREYS`) or for a band. The colour domain is the run labels in the order the
  caller passed them (read from the ordered categorical ``run`` column, or given with
  ``runs=``), so a run has the same colour in every chart, even one where it has no data yet.
* One meaning per line style on a page: dashed is training data (:data:`SPLIT_DASH`), solid
  the held-out test data or a quantity with no such split (a gradient), and a reference value
  (chance, "as strong as the output layer") a thin grey dotted rule with its name written on
  it (:func:`reference_rule`). Kinds (below 0 / above 1; weak / off / dead) are panels of
  their own, never line styles.
* Titles and axes are in plain words, axes with their unit ("share of examples (%)",
  "|∂loss/∂w|", "epochs"); a chart drawn under a heading does not repeat it, and a panel
  drawn once per run, side by side (a column 120 to 230 px wide), has no title: its run's
  name is written above it. Every mark has a tooltip.
* Heights are set, widths are not: the charts fill their container
  (``st.altair_chart(..., width="stretch")``). Panels of one chart are stacked
  (``vconcat``), which Streamlit stretches to the column; it does not stretch a facet or an
  ``hconcat`` (they were drawn 0 px wide).
* NaN and infinite values are dropped before plotting; log scales also drop
  values <= 0 (the log of those does not exist).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

RUN_PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#000000",  # black
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#8C564B",  # brown
    "#762A83",  # purple
    "#005A32",  # dark green
]
"""Run colours, given out in the order runs are passed: Okabe and Ito's colour-blind-safe set
(without its yellow, too pale on white), the first four ordered to stay far apart under
deuteranopia and protanopia too (CIEDE2000 between any two of them at least 38 in normal vision, 17
under protanopia, 26 under deuteranopia, simulated after Machado et al. 2009), each a colour
with a name of its own (Vega's tableau10 gave two oranges and a teal beside its blue)."""

CLASS_PALETTE = [
    "#332288",  # indigo
    "#999933",  # olive
    "#CC6677",  # rose
    "#117733",  # green
    "#882255",  # wine
    "#DDCC77",  # sand
    "#661100",  # brown
    "#AA4499",  # purple
    "#44AA99",  # teal
    "#88CCEE",  # cyan
]
"""Class colours (decision regions and their points): Paul Tol's muted set, no colour of
RUN_PALETTE, so a region is never read as a run. The first two (two-class problems) are far
apart for every kind of colour vision, and all are dark or strong enough for a point to stand
out on a pale region of its own class."""

STAT_GREYS = ["#4d4d4d", "#b3b3b3"]
"""Two statistics side by side (mean and largest |gradient|): dark and light grey, no run colour."""

REFERENCE_GREY = "#767676"
"""A reference value's rule and its name: grey, thin, dotted (REFERENCE_DASH)."""
REFERENCE_DASH = [2, 3]

SPLIT_DASH = {"train": [6, 3], "test": [1, 0]}
"""The one line-style legend: training data dashed, held-out test data solid."""

HEIGHT = 280


def clean(df: pd.DataFrame, columns: Sequence[str], *, positive: Sequence[str] = ()) -> pd.DataFrame:
    """Rows whose ``columns`` are finite and whose ``positive`` columns are > 0 (log scales).

    Label columns (run, layer, metric, stat) become plain strings for Altair.
    """
    # In numpy, and the frame built once: pandas' masked assignments made this 1.5 ms a call,
    # thirty-odd calls a page (devtools/bench_draw).
    numbers = {col: pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float) for col in columns}
    keep = np.ones(len(df), dtype=bool)
    for values in numbers.values():
        keep &= np.isfinite(values)
    for col in positive:
        keep &= (numbers[col] if col in numbers else df[col].to_numpy(dtype=float)) > 0
    out = {}
    for col in df.columns:
        if col in numbers:
            out[col] = numbers[col][keep]
        else:
            kept = df[col][keep].reset_index(drop=True)
            out[col] = kept.astype(str) if col in ("run", "layer", "metric", "stat") else kept
    return pd.DataFrame(out)


def run_domain(df: pd.DataFrame, runs: Sequence[str] | None = None) -> list[str]:
    """Run labels in colour order: ``runs`` if given, else the categorical's categories, else as met."""
    if runs is not None:
        return [str(r) for r in runs]
    if "run" not in df.columns:
        return []
    col = df["run"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return [str(r) for r in pd.unique(col.dropna())]


def run_color(domain: Sequence[str], title: str = "run") -> alt.Color:
    """The shared run colour encoding (same run, same colour, in every chart)."""
    colors = [RUN_PALETTE[i % len(RUN_PALETTE)] for i in range(len(domain))]
    return alt.Color(
        "run:N",
        title=title,
        scale=alt.Scale(domain=list(domain), range=colors),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
    )


def runs_present(data: pd.DataFrame) -> int:
    """How many runs have rows: a frame filtered to one run still lists all runs as categories."""
    return int(data["run"].nunique()) if "run" in data.columns else 0


def layer_order(df: pd.DataFrame) -> list[str]:
    """Layer names from input to output, across runs that may have different depths.

    Within a run ``layer_index`` 0 is the input side. Runs of different depth
    share names ("hidden 1", "output") but not indices, so the last layer of
    each run is sorted after every hidden layer.
    """
    if df.empty:
        return []
    # The distinct (run, layer, index) triples, a few dozen, in plain Python: the pandas
    # groupbys this replaces cost 4 ms a chart, three charts a run (devtools/bench_draw).
    runs = df["run"].astype(str) if "run" in df.columns else [""] * len(df)
    triples = set(zip(runs, df["layer"].astype(str), df["layer_index"].astype(int)))
    deepest: dict[str, int] = {}
    for run, _, index in triples:
        deepest[run] = max(deepest.get(run, index), index)
    last: dict[str, bool] = {}
    first: dict[str, int] = {}
    for run, name, index in triples:
        last[name] = last.get(name, False) or (index == deepest[run] > 0)
        first[name] = min(first.get(name, index), index)
    return sorted(first, key=lambda name: (last[name], first[name], name))


NARROW_LEGEND = {"orient": "bottom", "labelFontSize": 10, "symbolSize": 40, "labelOffset": 3, "padding": 0}
"""A legend under a panel drawn once per run, side by side: small and without padding, so that
"hidden 1" fits under a plot 60 px wide (a column 120 px wide, four runs at a 1000 px window)."""


def layer_color(order: Sequence[str], title: str = "layer") -> alt.Color:
    """Layers coloured by depth: input side dark purple, output side green-yellow. The legend
    lists them one under the other, small: side by side, they ran out of a narrow panel."""
    return alt.Color(
        "layer:N",
        title=title,
        sort=list(order),
        scale=alt.Scale(domain=list(order), scheme={"name": "viridis", "extent": [0.0, 0.85]}),
        legend=alt.Legend(
            direction="vertical",
            symbolType="stroke",
            **{**NARROW_LEGEND, "labelFontSize": 9, "symbolSize": 20},
        ),
    )


PANEL_AXIS = 48
"""Pixels kept for the y axis's labels in stacked panels, so their plots line up (minExtent)."""


def last_points(df: pd.DataFrame, by: Sequence[str], key: str = "step") -> pd.DataFrame:
    """The newest point of each series: a dot marks where each curve is *now*."""
    if df.empty:
        return df
    return df.sort_values(key, kind="stable").groupby(list(by), sort=False).tail(1)


EPOCHS = "epochs (passes over the training data)"
"""The x axis of a chart over training; "epochs" alone (EPOCHS_SHORT) in a narrow panel."""
EPOCHS_SHORT = "epochs"


def epoch_x(title: str = EPOCHS) -> alt.X:
    return alt.X("epoch:Q", title=title, scale=alt.Scale(nice=False))


def run_curve(y: alt.Y, domain: Sequence[str], value: str, title: str, fmt: str, split: bool = False) -> dict:
    """The encoding of a chart of runs' curves over training: epochs across, ``y`` up, a colour per
    run, and a tooltip of the run (and the data split when ``split``), the epoch and ``value``
    (its field, named ``title``, shown with ``fmt``)."""
    tooltip = [alt.Tooltip("run:N", title="run")]
    if split:
        tooltip.append(alt.Tooltip("split:N", title="data"))
    tooltip += [
        alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
        alt.Tooltip(f"{value}:Q", title=title, format=fmt),
    ]
    return dict(x=epoch_x(), y=y, color=run_color(domain), tooltip=tooltip)


def split_dash() -> alt.StrokeDash:
    """Dashed training data, solid test data: the one line-style legend of a page."""
    return alt.StrokeDash(
        "split:N",
        title="data",
        scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
        legend=alt.Legend(orient="bottom", labelExpr="datum.label == 'train' ? 'training' : datum.label"),
    )


def reference_rule(
    values: Sequence[float], notes: Sequence[str], *, y: alt.Y | None = None
) -> list[alt.Chart]:
    """A reference value as a thin grey dotted rule across the plot, its name written on it at the
    right end, just under the rule (where the lines of a chart over training rarely are at the
    end). ``y``: the y encoding of the chart it is layered on (its scale), else the value alone."""
    data = pd.DataFrame({"value": [float(v) for v in values], "note": list(notes)})
    y = y or alt.Y("value:Q")
    tooltip = [alt.Tooltip("note:N", title="reference"), alt.Tooltip("value:Q", title="value", format=".3g")]
    rule = (
        alt.Chart(data)
        .mark_rule(color=REFERENCE_GREY, strokeWidth=1, strokeDash=REFERENCE_DASH)
        .encode(y=y, tooltip=tooltip)
    )
    note = (
        alt.Chart(data)
        .mark_text(align="right", baseline="top", dx=-4, dy=3, fontSize=11, color=REFERENCE_GREY)
        .encode(y=y, x=alt.XValue("width"), text=alt.Text("note:N"))
    )
    return [rule, note]
