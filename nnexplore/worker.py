"""The body of a training process: load the data, train, send everything back over a pipe.

The dashboard trains in child processes, not threads: a training loop releases
Python's GIL inside every torch op and has to take it back afterwards, and on a
server whose threads are busy drawing pages for a whole class, every take-back
waits. Measured on 2 cores: a toy run started from an open page trained at 0.17×
its headless speed as a thread. A process has its own interpreter and no such wait.

Children are forked from a forkserver that has already imported this module
(and so torch) and run ``warm_up`` (see nnexplore.forkserver_preload), which
makes a run start in tens of milliseconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from nnexplore.data import MnistUnavailable, load_dataset
from nnexplore.snapshots import model_view  # noqa: F401  (preloaded for the children)
from nnexplore.train import train

logger = logging.getLogger(__name__)

VIEW_EVERY_S = 0.25  # live views are pictures: a few per second is plenty


def warm_up() -> None:
    """Import what torch loads lazily on first use, once, in the forkserver.

    The first optimizer step imports torch._dynamo (about 1 s and 70 MB);
    done in the forkserver, every forked run inherits it instead of paying it
    again. Not done on import: the dashboard server imports this module too,
    and has no use for those 70 MB.
    """
    weight = torch.zeros(2, requires_grad=True)
    for optimizer in (torch.optim.Adam([weight]), torch.optim.SGD([weight], lr=0.1, momentum=0.9)):
        (weight * 2).sum().backward()
        optimizer.step()


def run_in_child(cfg: Any, conn: Any, stop: Any, view_fn: Any) -> None:
    """Send ("progress", (f, msg)), ("running", None), ("view", dict), ("record", dict), then ("end", None) or ("error", msg)."""
    torch.set_num_threads(1)  # one core per slot; the server keeps the rest
    try:
        dataset = load_dataset(
            cfg, progress=lambda fraction, message: conn.send(("progress", (fraction, message)))
        )
        conn.send(("running", None))
        last_view = float("-inf")

        def on_record(model: Any, record: dict) -> None:
            nonlocal last_view
            now = time.monotonic()
            if view_fn is not None and (record["status"] != "running" or now - last_view >= VIEW_EVERY_S):
                last_view = now
                conn.send(("view", view_fn(model, dataset, cfg, record)))

        for record in train(cfg, dataset=dataset, stop=stop, on_record=on_record):
            conn.send(("record", record))
        conn.send(("end", None))
    except (MnistUnavailable, ValueError) as err:  # plain-words errors meant for the learner
        conn.send(("error", str(err)))
    except Exception as err:  # anything else: a short line for the page, the rest in the log
        logger.exception("training process failed")
        conn.send(
            (
                "error",
                f"Training failed: {str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__}",
            )
        )
    finally:
        conn.close()
