"""A card's recipes trained from five seeds: how much of a result is the recipe, how much luck.

"Run with 5 seeds" trains every run of a card from seeds s, s + 1, …, s + 4 (s: the card's
own seed, so the first is the card's run itself, already trained and served whole). Runs are
shared by their settings, so a class pressing it together trains each seed once. The part
shows one line per seed and the median in bold (nnexplore.ui.charts.seeds), how many runs
are done, and a sentence with how far the seeds' final accuracies (a regression's R²) lie apart.
"""

from __future__ import annotations

import statistics

import streamlit as st

from nnexplore.problems import is_regression, n_classes
from nnexplore.runs import Job
from nnexplore.runs.job import DIVERGED, DONE
from nnexplore.ui.actions import session_jobs, start_batch, stop_runs
from nnexplore.ui.charts import seeds as seeds_charts
from nnexplore.ui.live.pace import chart_interval
from nnexplore.ui.page_state import page_state
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.state import job_manager, live_pages

SEEDS = 5
#: Between a run's recipe and its seed in the run's label.
SEED_MARK = " · seed "
HELP = (
    f"Trains each of this card's networks {SEEDS} times, from {SEEDS} different seeds: the seed sets "
    "the starting weights and the order of the examples. Thin lines are single runs, the bold line "
    "their median. Runs others asked for already come back at once."
)


def seed_runs(recipes: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """(label, config) for every recipe and seed: the recipe's own seed first, then the next ones."""
    return [
        (f"{label}{SEED_MARK}{cfg.seed + k}", cfg.replace(seed=cfg.seed + k))
        for label, cfg in recipes
        for k in range(SEEDS)
    ]


def split_label(label: str) -> tuple[str, int]:
    """("ReLU → softmax", 3) from "ReLU → softmax · seed 3"."""
    recipe, _, seed = label.rpartition(SEED_MARK)
    return recipe, int(seed)


def spread_sentence(
    finals: dict[str, list[float]], diverged: dict[str, int] | None = None, r2: frozenset[str] = frozenset()
) -> str:
    """How far each recipe's seeds end apart, in the learner's numbers, and how many diverged;
    "" before any has ended. A diverged seed has no final score to compare. ``r2``: the recipes
    that are regressions, whose score is an R² written as a number (0.93), not a percentage."""
    diverged = diverged or {}
    parts = []
    for recipe, values in finals.items():
        broke = diverged.get(recipe, 0)
        if broke:
            parts_note = f"{broke} seed{'s' if broke > 1 else ''} diverged"
            if not values:
                parts.append(f"*{plain_text(recipe)}*: {parts_note}")
                continue
        if not values:
            continue
        low, high, mid = min(values), max(values), statistics.median(values)
        name = plain_text(recipe) + (" (R²)" if recipe in r2 else "")
        shown = "{:.2f}" if recipe in r2 else "{:.1%}"
        apart = f"{high - low:.2f} apart" if recipe in r2 else f"{(high - low) * 100:.1f} points apart"
        if len(values) == 1:
            parts.append(f"*{name}* {shown.format(mid)} (one seed so far)")
        elif high - low < 0.01:
            parts.append(f"*{name}* {shown.format(mid)} from every seed")
        else:
            parts.append(
                f"*{name}* from {shown.format(low)} to {shown.format(high)} "
                f"(median {shown.format(mid)}, {apart})"
            )
        if broke:
            parts[-1] += f", {parts_note}"
    if not parts:
        return ""
    what = "Final test accuracy (R² for a regression)" if r2 else "Final test accuracy"
    return f"{what} over the seeds: " + "; ".join(parts) + "."


def render_seeds(recipes: list[tuple[str, object]], group: str) -> None:
    """The seeds part of a card: its button, and the seeds' chart once any has a record."""
    st.subheader(f"How much is luck? The same runs from {SEEDS} seeds", help=HELP)
    jobs = session_jobs(group)
    start, stop, _ = st.columns([2, 1, 3])
    if start.button(f"Run with {SEEDS} seeds", key=f"{group}_start", help=HELP, width="stretch"):
        start_batch(seed_runs(recipes), group)
        jobs = session_jobs(group)
    stop.button(
        "Stop the seeds",
        key=f"{group}_stop",
        on_click=stop_runs,
        args=(group,),
        disabled=not any(job.is_active for job in jobs),
        help="Stop every seed run of this card that is training or waiting.",
        width="stretch",
    )
    if not jobs:
        return
    order = [label for label, _ in recipes]
    if any(job.is_active for job in jobs):
        page = f"{page_state().page_id}/{group}"
        every = chart_interval(live_pages().note(page))
        st.fragment(run_every=every)(_live_part)([job.id for job in jobs], order, page)
    else:
        _part(jobs, order)


def _live_part(job_ids: list[str], order: list[str], page: str) -> None:
    live_pages().note(page)  # counted in every live page's pace
    manager = job_manager()
    jobs = [job for job in (manager.get(i) for i in job_ids) if job is not None]
    for job in jobs:
        manager.heartbeat(job.id)
    _part(jobs, order)
    if not any(job.is_active for job in jobs):
        st.rerun()  # every seed ended: draw the part once more as the finished page, then stop


def _part(jobs: list[Job], order: list[str]) -> None:
    done = sum(not job.is_active for job in jobs)
    st.progress(done / len(jobs), text=f"{done} of {len(jobs)} seed runs ended.")
    runs = [(*split_label(job.label), job.records_since(0)) for job in jobs]
    frame = seeds_charts.seeds_frame(runs)
    if frame.empty:
        return
    classes = {n_classes(job.cfg) for job in jobs} - {0}  # 0: a regression
    chance = 1 / classes.pop() if len(classes) == 1 else None  # one chance rule, or none
    r2 = frozenset(recipe for (recipe, _, _), job in zip(runs, jobs) if is_regression(job.cfg.dataset))
    st.altair_chart(seeds_charts.seeds_chart(frame, order, chance, r2=bool(r2)), width="stretch")
    finals: dict[str, list[float]] = {recipe: [] for recipe in order}
    diverged: dict[str, int] = {}
    for (recipe, _seed, records), job in zip(runs, jobs):
        if job.status == DIVERGED:
            diverged[recipe] = diverged.get(recipe, 0) + 1
        elif job.status == DONE and records:
            finals.setdefault(recipe, []).append(seeds_charts.score(records[-1]))
    sentence = spread_sentence(finals, diverged, r2)
    if sentence:
        st.markdown(sentence)
