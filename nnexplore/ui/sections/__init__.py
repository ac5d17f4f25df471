"""The live page's views, drawn by nnexplore.ui.live.view: one module per family of charts.

Every view (nnexplore.views) is a function ``draw_<view>(live: LiveRuns) -> None`` that
draws its heading and charts full width (it makes its own columns) from the runs of one
page part: the Playground's, or one guided experiment's. Which views a page part draws
first is data (a card's ``headline``, the Playground's PLAYGROUND_HEADLINE); the others wait
under "More views" until the learner picks them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from nnexplore.moments import frame_of
from nnexplore.runs import Job
from nnexplore.runs.job import DIVERGED, ERROR, LOADING, QUEUED, RUNNING
from nnexplore.ui.charts import frames
from nnexplore.ui.live.specs import ChartCache
from nnexplore.ui.safe_text import plain_text

#: Pictures of one model each (decision regions, digits, heatmaps) are drawn side by side for
#: at most this many runs: four fit a 1400 px wide page at a readable size.
MAX_PICTURED = 4

#: What a running run's panel says before its first picture arrives.
FIRST_PICTURE = "Waiting for the first picture…"
#: What a loading run's panel says when the loader has not said anything yet.
LOADING_DATA = "Loading the data…"


def _no_place(job_id: str) -> int | None:
    return None


def queue_words(place: int | None) -> str:
    """ "waiting for a free training slot (place 2 in the queue)": the status line and every panel of
    a queued run say it in the same words, so a learner reads one state, not several."""
    where = f" (place {place} in the queue)" if place else ""
    return f"waiting for a free training slot{where}"


def epoch_words(epoch: object) -> str:
    """When, with its preposition: "at epoch 1.6" (one decimal, as the status line), "in its first
    steps" below 0.05 (where "at epoch 0.0" would read as "before it started"), "" when unknown."""
    try:
        value = float(epoch)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(value):
        return ""
    return "in its first steps" if value < 0.05 else f"at epoch {value:.1f}"


def run_note(
    job: Job,
    drawn: bool,
    place: int | None = None,
    *,
    pending: str = FIRST_PICTURE,
    what: str = "picture",
    picture_epoch: object = None,
) -> str:
    """The words in a run's own panel where its picture is not, or not only, what it seems; "" when
    the picture speaks for itself.

    One rule for every per-run panel (decision regions, digits, confusion matrix, gradient
    panels, hidden units), so a run in a given state reads the same in each, instead of a blank
    column a beginner takes for "broken":

    - queued: its place in the queue (``place``, from the job manager); loading: what the loader says;
    - running with nothing ``drawn`` yet: ``pending`` ("Waiting for the first picture…");
    - diverged: when, and that what is drawn is from before (the training loop takes no picture
      of a diverged model, see nnexplore.training.train); ``picture_epoch`` says from when, if known;
    - ended with nothing drawn: why there is no ``what`` ("No matrix: ...").

    ``drawn``: the panel has its picture to draw. The statuses are nnexplore.runs.job's.
    """
    if job.status == QUEUED:
        words = queue_words(place)
        return f"{words[0].upper()}{words[1:]}."
    if job.status == LOADING:
        return (job.progress[1] if job.progress else "") or LOADING_DATA
    if job.status == DIVERGED:
        when = epoch_words((job.last_record or {}).get("epoch"))
        when = f" {when}" if when else ""
        if not drawn:
            return f"No {what}: this run diverged{when}, before one was drawn."
        since = epoch_words(picture_epoch)
        since = f" ({since.removeprefix('at ')})" if since.startswith("at ") else ""
        return f"Diverged{when}: the {what} is from before{since}."
    if drawn:
        return ""
    if job.status == RUNNING:
        return pending
    if job.status == ERROR:
        return f"No {what}: this run could not run."
    return f"No {what}: this run ended before one was drawn."


@dataclass
class LiveRuns:
    """The runs a section draws: jobs, their labels, their records, and the chart cache."""

    jobs: list[Job]
    labels: list[str]
    runs: list[tuple[str, list[dict]]]  # (label, records) per job, oldest first
    charts: ChartCache  # the page part's chart cache: every chart is drawn through it
    key: str = ""  # the page part's key (widget keys of its sections start with it)
    place: Callable[[str], int | None] = _no_place  # a queued run's place (JobManager.queue_position)
    timeline: bool = False  # the page shows a timeline control: pictures follow it, curves mark it

    def moments(self, i: int) -> list[dict]:
        """Run ``i``'s timeline (nnexplore.moments): its frames, oldest first, and its latest view as
        the newest moment when that is newer (a live run's view comes several times a second, its
        frames at chosen records only)."""
        cache = self.__dict__.setdefault("_moments", {})
        if i not in cache:
            job = self.jobs[i]
            frames = job.timeline_since(0)
            view = job.view or {}
            if view.get("step") is not None and (not frames or view["step"] > frames[-1]["step"]):
                frames = [*frames, frame_of(view)]
            cache[i] = frames
        return cache[i]

    @property
    def pictured(self) -> list[int]:
        """Indices of the runs that get their own pictures: all, or the newest MAX_PICTURED,
        or the ones the learner chose in ``choose_pictured`` (in run order)."""
        newest = list(range(len(self.jobs)))[-MAX_PICTURED:]
        chosen = st.session_state.get(self._choice_key)
        if not chosen:
            return newest
        picked = [i for i, label in enumerate(self.labels) if label in chosen]
        return picked[:MAX_PICTURED] or newest

    @property
    def _choice_key(self) -> str:
        return f"{self.key}_pictured"

    def choose_pictured(self) -> None:
        """With more runs than fit side by side, a choice of which to picture (newest by default)."""
        if len(self.jobs) <= MAX_PICTURED:
            return
        st.multiselect(
            "Runs to picture side by side",
            self.labels,
            default=[self.labels[i] for i in self.pictured],
            max_selections=MAX_PICTURED,
            key=self._choice_key,
            help=f"Decision regions, digits and heatmaps belong to one network each: up to "
            f"{MAX_PICTURED} are drawn side by side. The newest are shown unless you pick others.",
        )

    def note(
        self,
        i: int,
        drawn: bool,
        *,
        pending: str = FIRST_PICTURE,
        what: str = "picture",
        from_view: bool = False,
    ) -> str:
        """``run_note`` for run ``i``, with its place in the queue; ``from_view``: the picture is
        the run's view, whose epoch says from when it is."""
        job = self.jobs[i]
        place = self.place(job.id) if job.status == QUEUED else None
        picture_epoch = (job.view or {}).get("epoch") if from_view else None
        return run_note(job, drawn, place, pending=pending, what=what, picture_epoch=picture_epoch)

    def show_note(self, i: int, drawn: bool, **options: Any) -> None:
        """Write run ``i``'s ``note`` (same options) in its column, if it has one."""
        text = self.note(i, drawn, **options)
        if text:
            st.caption(text)

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """Every run's records, one row per record (frames.runs_frame)."""
        return frames.runs_frame(self.runs)

    @functools.cached_property
    def grads(self) -> pd.DataFrame:
        """Per-layer weight-gradient sizes over time, long form (frames.layer_long)."""
        return frames.layer_long(self.runs, "grad_norm")

    @property
    def without_hidden(self) -> list[str]:
        """Labels of the runs whose network has no hidden layer (logistic regression).

        Read from the settings, so it is known before the first record: such a
        network has no hidden units (nothing to saturate or die) and a single
        layer that is both first and output (no gradient flow to speak of).
        """
        return [label for job, label in zip(self.jobs, self.labels) if not job.cfg.hidden]


def hidden_layer_note(labels: Sequence[str], without_hidden: Sequence[str], why: str) -> tuple[bool, str]:
    """(draw the chart?, words to show) for a chart that only networks with hidden layers fill.

    ``why`` finishes "no hidden layer, so ..." ("no units to saturate or
    die"). When no run has a hidden layer the chart would be empty, which a
    beginner reads as "broken" or "zero": say why in words instead and draw
    nothing. When some runs lack one, draw the others and name the runs left
    out, so a missing line is never a mystery.
    """
    if not without_hidden:
        return True, ""
    if len(without_hidden) == len(labels):
        which = "This network has" if len(labels) == 1 else "These networks have"
        return False, f"{which} no hidden layer, so {why}: nothing to draw here."
    names = "; ".join(plain_text(label) for label in without_hidden)
    return True, f"Not drawn: {names} (no hidden layer, so {why})."


def show_hidden_layer_note(note: str, shown: bool) -> None:
    """``hidden_layer_note``'s words: a caption under a chart drawn for some runs, a box in place of
    a chart drawn for none."""
    if note and shown:
        st.caption(note)
    elif note:
        st.info(note)
