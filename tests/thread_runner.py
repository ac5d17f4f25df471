"""A back end for the tests: trains each run in the manager's own run thread, with any train function.

Not for the dashboard: a training thread in the server competes for the GIL
with the threads drawing pages (see nnexplore.runs.process). Here it lets a
fake train function control timing, so the manager's tests are fast and exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from nnexplore.runs.job import ERROR, STOPPED, Job, end_status, parse_progress, short_message
from nnexplore.runs.pause import Hold
from nnexplore.runs.runner import Runner, RunReport

logger = logging.getLogger(__name__)


class ThreadRunner(Runner):
    """Runs ``train_fn(cfg, dataset=, stop=, on_record=)`` in the calling thread.

    Pause, Resume and Step hold the run between records as a training process does
    (nnexplore.runs.pause), so that the pages' fast tests can use it.

    ``dataset_fn(cfg, progress=)`` loads the data; ``view_fn(model, dataset,
    cfg, record)`` optionally computes a snapshot at every record. The
    defaults are the real ``nnexplore`` functions, imported on first use.
    """

    def __init__(
        self,
        train_fn: Callable[..., Iterable[dict]] | None = None,
        dataset_fn: Callable[..., Any] | None = None,
        view_fn: Callable[[Any, Any, Any, dict], dict | None] | None = None,
    ) -> None:
        self._train_fn = train_fn
        self._dataset_fn = dataset_fn
        self._view_fn = view_fn
        self._torch_threads_set = False

    def run(self, job: Job, report: RunReport) -> tuple[str, str]:
        self._set_torch_threads()
        try:
            dataset_fn, train_fn = self._resolve_fns()
        except ImportError:
            logger.exception("Run %s: training code could not be loaded", job.id)
            return ERROR, "The training code could not be loaded on this server."

        def progress(*args: Any, **kwargs: Any) -> None:
            report.progress(*parse_progress(args, kwargs))

        try:
            dataset = dataset_fn(job.cfg, progress=progress)
        except Exception as exc:  # shown to the user in plain words
            logger.warning("Run %s: dataset failed: %s", job.id, exc, exc_info=True)
            return ERROR, short_message(str(exc)) or "The data set could not be loaded."
        if not report.running():
            return STOPPED, ""

        view_fn = self._view_fn
        view_broken = False

        def on_record(model: Any, record: dict) -> None:
            nonlocal view_broken
            if view_fn is not None and not view_broken:
                try:
                    view = view_fn(model, dataset, job.cfg, record)
                except Exception:  # a broken picture must not kill the run
                    logger.exception("Run %s: live view failed; showing no live view", job.id)
                    view_broken = True
                    view = None
                report.view(view)

        last: dict | None = None
        hold = Hold(job.pause, job.stop_event, tick=report.tick)  # as the child holds (runs/child.py)
        try:
            for record in train_fn(job.cfg, dataset=dataset, stop=job.stop_event, on_record=on_record):
                last = record
                report.record(hold.timed(record))
                hold(record)
        except Exception as exc:  # reported to the user, logged in full
            logger.exception("Run %s: training failed", job.id)
            message = short_message(str(exc))
            return ERROR, f"Training failed: {message}" if message else "Training failed."
        return end_status(last, job.stop_event.is_set()), ""

    def _set_torch_threads(self) -> None:
        """One torch thread per run, set once.

        The networks here are small: a second intra-op thread buys little, and
        on a shared box OpenMP threads spin-wait for busy cores. Measured on 2
        loaded cores: a 20-epoch moons run took 9.4 s with 2 torch threads and 1.3 s with 1.
        """
        if self._torch_threads_set:
            return
        self._torch_threads_set = True
        try:
            import torch
        except ImportError:  # fake train functions need no torch
            return
        torch.set_num_threads(1)

    def _resolve_fns(self) -> tuple[Callable[..., Any], Callable[..., Iterable[dict]]]:
        dataset_fn = self._dataset_fn
        if dataset_fn is None:
            from nnexplore.data import load_dataset

            dataset_fn = load_dataset
        train_fn = self._train_fn
        if train_fn is None:
            from nnexplore.training import train

            train_fn = train
        return dataset_fn, train_fn
