"""One recipe trained from several seeds: a thin line per seed, the median bold.

A single run shows one draw of the luck of the start (the weights and the order of the
examples both come from the seed): softmax-hidden's late escape from its plateau moves with
it. Five seeds per recipe show how much of a result is the recipe and how much the seed.
Pure DataFrame -> chart builders; ``seeds_frame`` makes their input from the records.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from nnexplore.ui.charts import style

Seeded = Sequence[tuple[str, int, list[dict]]]  # (recipe, seed, records) per run


def seeds_frame(runs: Seeded) -> pd.DataFrame:
    """Test accuracy of every seed's records: columns run (the recipe), seed, step, epoch, test_acc (finite only)."""
    rows = [
        {
            "run": recipe,
            "seed": seed,
            "step": rec["step"],
            "epoch": rec["epoch"],
            "test_acc": rec.get("test_acc"),
        }
        for recipe, seed, records in runs
        for rec in records
    ]
    df = pd.DataFrame(rows, columns=["run", "seed", "step", "epoch", "test_acc"])
    return style.clean(df, ["epoch", "test_acc"])


def median_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Each recipe's median test accuracy over its seeds at each step that every seed reached.

    The seeds of one recipe record at the same steps (the schedule depends on the settings, not
    the seed), so a step's median is over all of them; a step only some seeds reached (the
    others still training, or stopped) is left out, so the bold line never pretends.
    """
    if df.empty:
        return df.assign(n=pd.Series(dtype=int))
    counts = df.groupby("run")["seed"].nunique()
    grouped = df.groupby(["run", "step"], sort=True).agg(
        epoch=("epoch", "first"), test_acc=("test_acc", "median"), n=("seed", "nunique")
    )
    grouped = grouped.reset_index()
    return grouped[grouped["n"] == grouped["run"].map(counts)].reset_index(drop=True)


def seeds_chart(df: pd.DataFrame, recipes: Sequence[str], chance: float | None = None) -> alt.LayerChart:
    """Test accuracy against epochs: a thin line per seed, each recipe's median bold, in its colour.

    ``recipes`` fixes the colour order (the card's runs in order); ``chance``: the accuracy of
    guessing (1 / classes), drawn as the shared grey dotted reference rule.
    """
    color = style.run_color(list(recipes), title="recipe")
    y = alt.Y("test_acc:Q", title="test accuracy (share right)", scale=alt.Scale(domain=[0, 1]))
    x = style.epoch_x()
    seeds = (
        alt.Chart(df)
        .mark_line(strokeWidth=1, opacity=0.45)
        .encode(
            x=x,
            y=y,
            color=color,
            detail="seed:N",
            tooltip=[
                alt.Tooltip("run:N", title="recipe"),
                "seed:Q",
                alt.Tooltip("epoch:Q", format=".1f"),
                alt.Tooltip("test_acc:Q", format=".1%"),
            ],
        )
    )
    median = (
        alt.Chart(median_frame(df))
        .mark_line(strokeWidth=3)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("run:N", title="recipe"),
                alt.Tooltip("epoch:Q", format=".1f"),
                alt.Tooltip("test_acc:Q", title="median over the seeds", format=".1%"),
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
