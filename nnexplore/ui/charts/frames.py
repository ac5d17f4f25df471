"""Records -> tidy (long) pandas DataFrames, ready for the Altair charts.

Training yields flat dicts (docs/metrics.md). Altair wants one row per
plotted point with the series named in a column, so everything here reshapes
records into long frames. Two things are done once, here, so that every chart
gets them for free:

* Non-finite numbers (a diverged run's ``inf`` loss, ``None`` where a value was
  not measured) become NaN; Altair skips NaN instead of breaking the scale.
* Long runs are thinned (:func:`downsample`) so a browser never receives more
  than :data:`MAX_POINTS` points per series, however long the run.

The ``run`` column is an ordered categorical whose categories are the labels in
the order the caller passed them, even for runs that have no rows yet; the
charts read the colour domain from it, so a run keeps its colour everywhere.

Pandas only: no streamlit, no altair (this module is testable on its own).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

MAX_POINTS = 2000
"""Most points per series sent to the browser (a 50-epoch run stays smooth)."""

Runs = Sequence[tuple[str, Sequence[Mapping[str, Any]]]]

RUN_COLUMNS = [
    "run",
    "step",
    "epoch",
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "test_r2",
    "test_mse",
    "out_below_share",
    "out_above_share",
    "out_push",
    "status",
]
LAYER_COLUMNS = ["run", "epoch", "step", "layer", "layer_index", "value"]
METRIC_COLUMNS = ["run", "epoch", "step", "metric", "value"]
BAR_COLUMNS = ["layer", "layer_index", "stat", "value"]
REACH_COLUMNS = ["run", "epoch", "step", "value"]

HIDDEN_ONLY_FIELDS = ("weak_frac", "off_frac", "dead_frac")
"""Per-layer fields measured on hidden layers only (one entry fewer than layer_names)."""

UNIT_KINDS = {"weak_frac": "weak", "off_frac": "off", "dead_frac": "dead"}
"""The per-layer unit fields and their names on the units chart, in its legend's order."""

SERIES_KEYS = ("run", "metric", "layer", "stat")
"""Columns that, when present, tell one plotted series from another."""


# --------------------------------------------------------------------------- numbers


def finite(value: Any) -> float:
    """``value`` as a float, or NaN when it is missing or not finite (inf, NaN, junk)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _share(part: Any, total: Any) -> float:
    """part / total, NaN when the total is missing or zero (nothing was looked at)."""
    p, t = finite(part), finite(total)
    if math.isnan(p) or math.isnan(t) or t <= 0:
        return math.nan
    return p / t


def _run_categorical(values: Iterable[str], labels: Sequence[str]) -> pd.Categorical:
    """The run column: ordered by the caller's run order, all labels kept as categories."""
    return pd.Categorical(list(values), categories=list(dict.fromkeys(labels)), ordered=True)


def _labels(runs: Runs) -> list[str]:
    return [str(label) for label, _ in runs]


# --------------------------------------------------------------------------- thinning


def _thin_positions(n: int, max_points: int) -> np.ndarray:
    """Row positions to keep out of ``n`` ordered rows.

    The newest half of the budget is kept dense (what a learner is watching
    right now); older rows are kept every ``stride``-th, with a power-of-two
    stride anchored at row 0. Anchoring keeps the same old points from one
    redraw to the next (the curve does not shimmer while the run grows), and
    row 0 (the first point) is always among them. The last row is in the
    dense tail, so it is always kept as well.
    """
    if n <= max_points:
        return np.arange(n)
    if max_points < 2:
        return np.array([n - 1]) if max_points == 1 else np.array([], dtype=int)
    dense = max_points // 2
    older = n - dense
    budget = max_points - dense
    stride = 1
    while math.ceil(older / stride) > budget:
        stride *= 2
    return np.concatenate([np.arange(0, older, stride), np.arange(older, n)])


def downsample(df: pd.DataFrame, max_points: int = MAX_POINTS, key: str = "step") -> pd.DataFrame:
    """At most ``max_points`` rows per series, newest points dense, first and last kept.

    A series is one combination of whichever of ``run``, ``metric``, ``layer``
    and ``stat`` the frame has; rows are ordered by ``key`` inside it. Older
    rows are thinned with a regular stride (see :func:`_thin_positions`), so
    the shape of the curve survives while the browser gets a bounded amount
    of data.
    """
    if df.empty or max_points <= 0:
        return df.iloc[0:0] if max_points <= 0 else df
    groups = [c for c in SERIES_KEYS if c in df.columns]
    ordered = df.sort_values(key, kind="stable") if key in df.columns else df
    if not groups:
        return ordered.iloc[_thin_positions(len(ordered), max_points)]
    parts = []
    for _, part in ordered.groupby(groups, sort=False, observed=True, dropna=False):
        parts.append(part.iloc[_thin_positions(len(part), max_points)])
    if not parts:
        return ordered
    out = pd.concat(parts)
    return out.sort_index(kind="stable")


def _thin_records(records: Sequence[Mapping[str, Any]], max_points: int) -> list[Mapping[str, Any]]:
    """Thin a run's records before they are expanded into rows (cheap for long runs)."""
    if max_points is None or len(records) <= max_points:
        return list(records)
    return [records[i] for i in _thin_positions(len(records), max_points)]


# --------------------------------------------------------------------------- frames


def runs_frame(runs: Runs, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """One row per record of every run: the scalar metrics, shares of outputs outside [0, 1].

    ``runs`` is a list of ``(label, records)``. Columns: run, step, epoch,
    loss, train_acc, test_loss, test_acc, test_r2, test_mse, out_below_share,
    out_above_share, out_push, status (a classification's records leave test_r2
    and test_mse NaN, a regression's train_acc and test_acc: docs/metrics.md). Shares are entries below 0 (above 1) divided by entries looked at.
    Each run is thinned to ``max_points`` rows.
    """
    rows: list[dict[str, Any]] = []
    run_col: list[str] = []
    for label, records in runs:
        for rec in _thin_records(records, max_points):
            run_col.append(str(label))
            rows.append(
                {
                    "step": finite(rec.get("step")),
                    "epoch": finite(rec.get("epoch")),
                    "loss": finite(rec.get("loss")),
                    "train_acc": finite(rec.get("train_acc")),
                    "test_loss": finite(rec.get("test_loss")),
                    "test_acc": finite(rec.get("test_acc")),
                    "test_r2": finite(rec.get("test_r2")),
                    "test_mse": finite(rec.get("test_mse")),
                    "out_below_share": _share(rec.get("out_below"), rec.get("out_total")),
                    "out_above_share": _share(rec.get("out_above"), rec.get("out_total")),
                    "out_push": finite(rec.get("out_push")),
                    "status": str(rec.get("status", "")),
                }
            )
    df = pd.DataFrame(rows, columns=RUN_COLUMNS[1:])
    df.insert(0, "run", _run_categorical(run_col, _labels(runs)))
    float_cols = [c for c in RUN_COLUMNS if c not in ("run", "status")]
    df[float_cols] = df[float_cols].astype(float)
    df["status"] = df["status"].astype(object)
    return df


def metric_long(runs: Runs, metrics: Sequence[str], max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Scalar metrics in long form: columns run, epoch, step, metric, value.

    ``metrics`` are columns of :func:`runs_frame` (e.g. ``["train_acc",
    "test_acc"]``); the ``metric`` column holds those names unchanged.
    """
    wide = runs_frame(runs, max_points=max_points)
    unknown = [m for m in metrics if m not in wide.columns]
    if unknown:
        raise ValueError(f"Unknown metric(s) {unknown}; choose from {RUN_COLUMNS[3:-1]}.")
    long = wide.melt(
        id_vars=["run", "epoch", "step"], value_vars=list(metrics), var_name="metric", value_name="value"
    )
    long["run"] = _run_categorical(long["run"].astype(str), _labels(runs))
    long["metric"] = long["metric"].astype(object)
    long["value"] = long["value"].astype(float)
    return long[METRIC_COLUMNS].reset_index(drop=True)


def _layer_names_for(rec: Mapping[str, Any], field: str, count: int) -> list[str]:
    """Names for the ``count`` entries of a per-layer list ``field`` of one record.

    Hidden-only fields (weak, off and dead units) have one entry fewer than the
    record's ``layer_names``: the output layer is not measured. When the
    lengths disagree anyway (an older record format), fall back to plain
    numbered names rather than mislabel a layer.
    """
    names = [str(n) for n in (rec.get("layer_names") or [])]
    if field in HIDDEN_ONLY_FIELDS:
        names = names[:-1]
    if len(names) != count:
        prefix = "hidden" if field in HIDDEN_ONLY_FIELDS else "layer"
        names = [f"{prefix} {i + 1}" for i in range(count)]
    return names


def layer_long(runs: Runs, field: str, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """A per-layer list field in long form: columns run, epoch, step, layer, layer_index, value.

    ``field`` is one of grad_norm, grad_mean_abs, grad_max_abs (every Linear
    layer, named from ``layer_names``) or weak_frac, off_frac, dead_frac (hidden
    layers only, named from ``layer_names[:-1]``). ``layer_index`` 0 is the
    input side. Records whose list is empty (no hidden layer, nothing
    measured yet, an activation that cannot have such units) contribute no rows.
    """
    rows: list[tuple[Any, ...]] = []
    for label, records in runs:
        for rec in _thin_records(records, max_points):
            values = rec.get(field) or []
            if not values:
                continue
            names = _layer_names_for(rec, field, len(values))
            epoch, step = finite(rec.get("epoch")), finite(rec.get("step"))
            for i, (name, value) in enumerate(zip(names, values, strict=True)):
                rows.append((str(label), epoch, step, name, i, finite(value)))
    df = pd.DataFrame(rows, columns=LAYER_COLUMNS)
    df["run"] = _run_categorical(df["run"], _labels(runs))
    df["layer"] = df["layer"].astype(object)
    df["layer_index"] = df["layer_index"].astype(int)
    df[["epoch", "step", "value"]] = df[["epoch", "step", "value"]].astype(float)
    return df


def weak_off_dead_long(runs: Runs, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """weak_frac, off_frac and dead_frac together, told apart by a ``metric`` column.

    Columns: run, epoch, step, layer, layer_index, metric ("weak", "off" or "dead"), value.
    A kind a run's activation cannot have (off for sigmoid, weak for ReLU) is an empty list in
    its records (docs/metrics.md), so it has no rows here and no line on the chart. This is the
    input of :func:`training.weak_off_dead_chart`.
    """
    parts = []
    for field, name in UNIT_KINDS.items():
        part = layer_long(runs, field, max_points=max_points)
        part["metric"] = name
        parts.append(part)
    df = pd.concat(parts, ignore_index=True)
    df["run"] = _run_categorical(df["run"].astype(str), _labels(runs))
    df["metric"] = df["metric"].astype(object)
    return df


def first_layer_reach(norms: Sequence[Any] | None) -> float:
    """grad_norm[0] / grad_norm[-1]: the first hidden layer's gradient over the output layer's.

    NaN when there is no hidden layer (one Linear layer only: the first layer
    *is* the output layer, so there is nothing for the gradient to reach) or
    when either norm is missing, not finite, or the output's is 0.
    """
    if not norms or len(norms) < 2:
        return math.nan
    return _share(norms[0], norms[-1])


def reach_long(runs: Runs, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """How much of the output layer's gradient reaches the first hidden layer, over time.

    Columns run, epoch, step, value, with value = :func:`first_layer_reach`
    of each record's ``grad_norm``. Records with no gradients yet, and every
    record of a network without a hidden layer, contribute no rows (that
    network has no such ratio; the page says so in words).
    """
    rows: list[tuple[Any, ...]] = []
    for label, records in runs:
        for rec in _thin_records(records, max_points):
            norms = rec.get("grad_norm") or []
            if len(norms) < 2:
                continue
            rows.append(
                (str(label), finite(rec.get("epoch")), finite(rec.get("step")), first_layer_reach(norms))
            )
    df = pd.DataFrame(rows, columns=REACH_COLUMNS)
    df["run"] = _run_categorical(df["run"], _labels(runs))
    df[["epoch", "step", "value"]] = df[["epoch", "step", "value"]].astype(float)
    return df


def layer_bars(runs: Runs) -> pd.DataFrame:
    """:func:`last_layer_bars` of every run, with a ``run`` column (ordered categorical) in front."""
    parts = [last_layer_bars(records).assign(run=str(label)) for label, records in runs]
    df = pd.concat(parts, ignore_index=True) if parts else last_layer_bars([]).assign(run=[])
    df = df[["run", *BAR_COLUMNS]]
    df["run"] = _run_categorical(df["run"].astype(str), _labels(runs))
    return df


def last_layer_bars(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Per-layer gradient size now: columns layer, layer_index, stat, value.

    Taken from the newest record that has gradient data with a finite number in
    it; ``stat`` is "mean |grad|" or "max |grad|". Empty when no record has
    gradients yet. A diverged run's last record can hold only inf and NaN
    gradients, which would draw no bar at all: its bars are then the last ones
    from before, as its other pictures are.
    """
    for rec in reversed(list(records)):
        means = rec.get("grad_mean_abs") or []
        maxes = rec.get("grad_max_abs") or []
        if not any(math.isfinite(finite(v)) for v in (*means, *maxes)):
            continue
        rows = []
        for stat, values in (("mean |grad|", means), ("max |grad|", maxes)):
            names = _layer_names_for(rec, "grad_mean_abs", len(values))
            for i, (name, value) in enumerate(zip(names, values, strict=True)):
                rows.append((name, i, stat, finite(value)))
        df = pd.DataFrame(rows, columns=BAR_COLUMNS)
        df["value"] = df["value"].astype(float)
        return df
    return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in BAR_COLUMNS})


SUMMARY_COLUMNS = [
    "run",
    "status",
    "test accuracy",
    "test R²",
    "outside [0, 1]",
    "gradient first/last layer",
    "steps",
    "time (s)",
    "reason",
]


def summary_table(runs: Runs) -> pd.DataFrame:
    """One row per run, in plain words, for the comparison table.

    Columns: run, status, test accuracy (of the newest record: the final one
    once the run ends; NaN for a regression), test R² (a regression's, NaN for a
    classification), outside [0, 1] (share of held-out output entries below
    0 or above 1, newest record), gradient first/last layer
    (``grad_norm[0] / grad_norm[-1]`` of the newest record that has gradient
    data; far below 1 means the gradient fades before it reaches the input
    side, i.e. it vanishes), steps, time (s), reason. A run with no records
    yet shows status "waiting".
    """
    rows = []
    for label, records in runs:
        last: Mapping[str, Any] = records[-1] if records else {}
        ratio = math.nan
        for rec in reversed(records):
            norms = rec.get("grad_norm") or []
            if norms:
                ratio = _share(norms[0], norms[-1]) if len(norms) > 1 else 1.0
                break
        outside = _share(finite(last.get("out_below")) + finite(last.get("out_above")), last.get("out_total"))
        rows.append(
            {
                "run": str(label),
                "status": str(last.get("status", "waiting")) if records else "waiting",
                "test accuracy": finite(last.get("test_acc")),
                "test R²": finite(last.get("test_r2")),
                "outside [0, 1]": outside,
                "gradient first/last layer": ratio,
                "steps": int(finite(last.get("step"))) if math.isfinite(finite(last.get("step"))) else 0,
                "time (s)": finite(last.get("elapsed_s")),
                "reason": str(last.get("reason", "") or ""),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def score_words(record: Mapping[str, Any]) -> str:
    """How well a run does at this record, in the status line's words: "test accuracy 93.1%" for a
    classification, "test R² 0.93" for a regression (its records have no accuracy: a number is
    never exactly right, docs/metrics.md); "" when the record has neither as a finite number."""
    if "test_r2" in record:
        value = finite(record.get("test_r2"))
        return f"test R² {value:.2f}" if math.isfinite(value) else ""
    value = finite(record.get("test_acc"))
    return f"test accuracy {value:.1%}" if math.isfinite(value) else ""
