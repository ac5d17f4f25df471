"""What runs inside a training process: load the data, train, send everything back over a pipe.

The server side of the pipe is nnexplore.runs.process (which also says why
runs train in processes). Children are forked from a forkserver that has
already imported this module (and so torch) and run ``warm_up`` (see
nnexplore.runs.forkserver_preload), which makes a run start in tens of
milliseconds.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

import torch

from nnexplore.data import MnistUnavailable, load_dataset
from nnexplore.moments import timeline_records
from nnexplore.runs.job import short_message
from nnexplore.runs.pause import Hold, PauseState
from nnexplore.snapshots import model_view, with_first  # noqa: F401  (model_view: the dashboard's view_fn)
from nnexplore.training import expected_records, train

logger = logging.getLogger(__name__)

VIEW_EVERY_S = 0.25  # live views are pictures: a few per second is plenty


def warm_up() -> None:
    """Run one tiny training step in the forkserver, so every forked run starts on a used path.

    Cheap (milliseconds): the optimizers are nnexplore's own, so nothing as big
    as ``torch._dynamo`` (1.4 s and 70 MB, which ``torch.optim`` imports) loads
    lazily at a run's first step. Not done on import: the dashboard server
    imports this module too.
    """
    from nnexplore import optimizers

    weight = torch.zeros(2, requires_grad=True)
    for optimizer in (optimizers.Adam([weight]), optimizers.SGD([weight], lr=0.1, momentum=0.9)):
        (weight * 2).sum().backward()
        optimizer.step()


def run_in_child(
    cfg: Any, conn: Any, stop: Any, view_fn: Callable[..., dict | None] | str | None, pause: Any = None
) -> None:
    """Train ``cfg``, sending what happens over ``conn``; ``stop`` (a StopFlag) ends it within one batch.

    ``view_fn`` is a function or its name, ``"package.module:function"``. ``pause`` (a
    PauseFlag) holds the run after a record while it says so (nnexplore.runs.pause).

    Sends ("progress", (fraction, message)) while the data loads, ("running",
    None), then ("view", dict) and ("record", dict) as training goes, and
    last ("end", None) or ("error", message in plain words).
    """
    torch.set_num_threads(1)  # one core per slot; the server keeps the rest
    try:
        if isinstance(view_fn, str):
            module, _, name = view_fn.partition(":")
            view_fn = getattr(importlib.import_module(module), name)
        dataset = load_dataset(
            cfg, progress=lambda fraction, message: conn.send(("progress", (fraction, message)))
        )
        conn.send(("running", None))
        last_view = float("-inf")
        first_view: dict | None = None
        frames = timeline_records(expected_records(cfg, len(dataset.x_train)))
        count = 0

        def on_record(model: Any, record: dict) -> None:
            nonlocal last_view, first_view, count
            now = time.monotonic()
            frame = count in frames or record["status"] != "running"  # the timeline's moments
            count += 1
            if view_fn is not None and (frame or now - last_view >= VIEW_EVERY_S):
                last_view = now
                view = view_fn(model, dataset, cfg, {**record, "frame": True} if frame else record)
                if view is not None:
                    first_view = first_view or view
                    view = with_first(view, first_view)
                conn.send(("view", view))

        hold = Hold(pause if pause is not None else PauseState(), stop)
        for record in train(cfg, dataset=dataset, stop=stop, on_record=on_record):
            conn.send(("record", hold.timed(record)))
            hold(record)  # between records: the generator waits at its yield, drawing nothing
        conn.send(("end", None))
    except (MnistUnavailable, ValueError) as err:  # plain-words errors meant for the learner
        conn.send(("error", str(err)))
    except Exception as err:  # anything else: a short line for the page, the rest in the log
        logger.exception("training process failed")
        conn.send(("error", f"Training failed: {short_message(str(err)) or type(err).__name__}"))
    finally:
        conn.close()
