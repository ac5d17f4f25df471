"""What every run chart shares: the run colours, the layer colours, the epoch axis, cleaning.

The conventions, so that a learner can read one chart after another:

* Colour means *run* wherever runs are compared; the colour domain is the run
  labels in the order the caller passed them (read from the ordered
  categorical ``run`` column, or given with ``runs=``), so a run has the same
  colour in every chart, even one where it has no data yet.
* Dashed means training data, solid means the held-out test data.
* Titles and axes are in plain words; every mark has a tooltip.
* Heights are set, widths are not: the charts fill their container
  (``st.altair_chart(..., width="stretch")``).
* NaN and infinite values are dropped before plotting; log scales also drop
  values <= 0 (the log of those does not exist).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

RUN_PALETTE = [
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
]
"""Run colours (Vega's tableau10), given out in the order runs are passed."""

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


def layer_color(order: Sequence[str], title: str = "layer") -> alt.Color:
    """Layers coloured by depth: input side dark purple, output side green-yellow."""
    return alt.Color(
        "layer:N",
        title=title,
        sort=list(order),
        scale=alt.Scale(domain=list(order), scheme={"name": "viridis", "extent": [0.0, 0.85]}),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def last_points(df: pd.DataFrame, by: Sequence[str], key: str = "step") -> pd.DataFrame:
    """The newest point of each series: a dot marks where each curve is *now*."""
    if df.empty:
        return df
    return df.sort_values(key, kind="stable").groupby(list(by), sort=False).tail(1)


def epoch_x() -> alt.X:
    return alt.X("epoch:Q", title="epochs (passes over the training data)", scale=alt.Scale(nice=False))
