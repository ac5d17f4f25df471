"""The live page's sections, one module each, drawn in order by nnexplore.ui.live.

Every section is a function ``draw(live: LiveRuns) -> None`` that draws its
headings and charts full width (it makes its own columns) from the runs of one
page part: the Playground's, or one guided experiment's. Which optional
sections a page part shows is data: the Playground shows them all, an
experiment the ones its card names (``Experiment.views``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from nnexplore.runs import Job
from nnexplore.ui.chart_cache import ChartCache
from nnexplore.ui.charts import frames
from nnexplore.ui.safe_text import plain_text

#: Pictures of one model each (decision regions, digits, heatmaps) are drawn side by side for
#: at most this many runs: four fit a 1400 px wide page at a readable size.
MAX_PICTURED = 4


@dataclass
class LiveRuns:
    """The runs a section draws: jobs, their labels, their records, and the chart cache."""

    jobs: list[Job]
    labels: list[str]
    runs: list[tuple[str, list[dict]]]  # (label, records) per job, oldest first
    out: ChartCache
    key: str = ""  # the page part's key (widget keys of its sections start with it)

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
