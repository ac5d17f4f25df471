"""One recipe trained from several seeds: a thin line per seed, the median bold.

A single run shows one draw of the luck of the start (the weights and the order of the
examples both come from the seed): softmax-hidden's late escape from its plateau moves with
it. Five seeds per recipe show how much of a result is the recipe and how much the seed.
Pure DataFrame -> chart builders; ``seeds_frame`` makes their input from the records. A run's
score is its test accuracy, or for a regression (no accuracy: docs/metrics.md) its test R²:
both 1 at best, on one axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from nnexplore.ui.charts import style

Seeded = Sequence[tuple[str, int, list[dict]]]  # (recipe, seed, records) per run


def score(record: dict) -> float | None:
    """A record's score: its test R² for a regression, else its test accuracy (None: neither)."""
    return record["test_r2"] if "test_r2" in record else record.get("test_acc")


def seeds_frame(runs: Seeded) -> pd.DataFrame:
    """The score (``score``) of every seed's records: columns run (the recipe), seed, step, epoch,
    score (finite only)."""
    rows = [
        {"run": recipe, "seed": seed, "step": rec["step"], "epoch": rec["epoch"], "score": score(rec)}
        for recipe, seed, records in runs
        for rec in records
    ]
    df = pd.DataFrame(rows, columns=["run", "seed", "step", "epoch", "score"])
    return style.clean(df, ["epoch", "score"])


def median_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Each recipe's median score over its seeds at each step that every seed reached.

    The seeds of one recipe record at the same steps (the schedule depends on the settings, not
    the seed), so a step's median is over all of them; a step only some seeds reached (the
    others still training, or stopped) is left out, so the bold line never pretends.
    """
    if df.empty:
        return df.assign(n=pd.Series(dtype=int))
    counts = df.groupby("run")["seed"].nunique()
    grouped = df.groupby(["run", "step"], sort=True).agg(
        epoch=("epoch", "first"), score=("score", "median"), n=("seed", "nunique")
    )
    grouped = grouped.reset_index()
    return grouped[grouped["n"] == grouped["run"].map(counts)].reset_index(drop=True)


def seeds_chart(
    df: pd.DataFrame, recipes: Sequence[str], chance: float | None = None, *, r2: bool = False
) -> alt.LayerChart:
    """The score against epochs: a thin line per seed, each recipe's median bold, in its colour.

    ``recipes`` fixes the colour order (the card's runs in order); ``chance``: the accuracy of
    guessing (1 / classes), drawn as the shared grey dotted reference rule. ``r2``: some recipe
    is a regression, scored by R² (the axis says so; an R² below 0 is cut off at the bottom).
    """
    color = style.run_color(list(recipes), title="recipe")
    title = "test accuracy, or R² for a regression (1: best)" if r2 else "test accuracy (share right)"
    y = alt.Y("score:Q", title=title, scale=alt.Scale(domain=[0, 1]))
    name = "score" if r2 else "test accuracy"
    x = style.epoch_x()
    seeds = (
        alt.Chart(df)
        .mark_line(strokeWidth=1, opacity=0.45, clip=True)
        .encode(
            x=x,
            y=y,
            color=color,
            detail="seed:N",
            tooltip=[
                alt.Tooltip("run:N", title="recipe"),
                "seed:Q",
                alt.Tooltip("epoch:Q", format=".1f"),
                alt.Tooltip("score:Q", title=name, format=".3f" if r2 else ".1%"),
            ],
        )
    )
    median = (
        alt.Chart(median_frame(df))
        .mark_line(strokeWidth=3, clip=True)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("run:N", title="recipe"),
                alt.Tooltip("epoch:Q", format=".1f"),
                alt.Tooltip("score:Q", title="median over the seeds", format=".3f" if r2 else ".1%"),
            ],
        )
    )
    layers = [seeds, median]
    if chance is not None:
        layers += style.reference_rule([chance], ["chance"], y=y)
    # Fill the column's width but keep the plot's height: Streamlit's default sizing ("fit")
    # squeezed the plot to make room for the legend, down to a line.
    return alt.layer(*layers).properties(
        height=style.HEIGHT,
        title="Every seed (thin), the median (bold)",
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
