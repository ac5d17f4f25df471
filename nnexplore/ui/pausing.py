"""Pause, Resume and Step on a page: watch a long run (MNIST) one record at a time.

The buttons act on the page's runs that train or wait, as Stop does; the rule for a
run several learners follow is nnexplore.runs.pause's (it pauses once every one of
them asked). A paused run keeps its training slot, and the status line says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnexplore.runs import Job
from nnexplore.runs.pause import duration_words, pause_limit_s
from nnexplore.ui.actions import pause_runs, resume_runs, step_runs


def pause_buttons(pause_column: Any, step_column: Any, jobs: Sequence[Job], group: str, key: str) -> None:
    """Pause (Resume once every active run of the page was asked to pause) and Step."""
    active = [job for job in jobs if job.is_active]
    if active and all(job.paused for job in active):
        pause_column.button(
            "Resume",
            key=f"{key}_resume",
            on_click=resume_runs,
            args=(group,),
            help="Train on from where your runs are paused.",
            width="stretch",
        )
    else:
        pause_column.button(
            "Pause",
            key=f"{key}_pause",
            on_click=pause_runs,
            args=(group,),
            disabled=not active,
            help="Hold your runs after their next record, to look at their pictures; Step then "
            "trains one record at a time. A paused run keeps its place on the server.",
            width="stretch",
        )
    step_column.button(
        "Step",
        key=f"{key}_step",
        on_click=step_runs,
        args=(group,),
        disabled=not any(job.is_paused for job in active),
        help="Train a paused run for one more record, then hold it again.",
        width="stretch",
    )


def paused_words(job: Job) -> str:
    """What a run's status line adds about its pause, or "" when nobody asked to pause it."""
    if job.is_paused:
        return (
            "It keeps its training slot: press Resume, or Step for one record at a time. It stops by "
            f"itself if it stays paused for {duration_words(pause_limit_s())}."
        )
    if job.paused:
        return "You asked to pause it, but another learner follows this run too: it trains on until they pause it as well."
    return ""
