"""The cluster's registry of runs: one detached actor that every dashboard server shares.

Several dashboard servers behind one address share their runs through it, as the
sessions of one server share theirs through the job manager (nnexplore.runs.shared):

- ``join(key, …)``: the run this fingerprint names is trained once. Asked while it
  trains, a server follows the same computation; asked after it ended done or
  diverged, it gets the stored run whole (nnexplore.runs.store's rule); else a new
  training task starts (nnexplore.runs.ray_task), and this actor reads its stream.
- ``poll(run_id, since, …)``: the messages after the first ``since``, waiting a
  little for new ones, and how the run ended once it has.
- ``leave``, ``pause``, ``control``: each server is one follower of a run. The run
  stops when its last follower leaves or stops polling; it is paused while every
  follower is (nnexplore.runs.pause's rule, with servers for learners).

Everything is kept in this actor's memory, the finished runs in an LRU bounded like
the server's own store (nnexplore.runs.store). It never imports torch: the actor
asks for no CPU, and training happens in the tasks it starts.
"""

from __future__ import annotations

import asyncio
import pickle
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from nnexplore.lru import LRU
from nnexplore.runs.job import ERROR, JOINED, STOPPED, STORED, end_status, short_message
from nnexplore.runs.shared import STORED_STATUSES
from nnexplore.runs.store import STORE_MB, STORE_RUNS

#: The registry's name and namespace in the cluster: every server finds the same one.
NAME = "nnexplore-registry"
NAMESPACE = "nnexplore"
#: How ``join`` says a run is new to the cluster (else nnexplore.runs.job's JOINED or STORED).
NEW = "new"
#: A follower (a server) that has not polled for this long is taken for gone; a run
#: nobody polls is stopped. Servers poll several times a second while they show a run.
FOLLOWER_TIMEOUT_S = 30.0
#: A task that has not ended this long after Stop is cancelled by force.
STOP_GRACE_S = 10.0

#: What stands in for a live view a newer one replaced (``Run.add``); relays pass over it.
SKIPPED = ("skipped", None)

LOST = (
    "The training task on the Ray cluster ended unexpectedly (its worker or machine was lost, "
    "or it ran out of memory). Press Train to try again."
)
OUT_OF_MEMORY = "The training task on the Ray cluster ran out of memory. Try a smaller run."


def task_error(err: BaseException) -> str:
    """The sentence a learner reads when a run's task died, in plain words."""
    name = type(err).__name__
    if "OutOfMemory" in name:
        return OUT_OF_MEMORY
    return LOST


def compact(messages: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """A finished run's messages as the store keeps them: every record and timeline moment,
    and only the last of the live views (a page shows no other once the run has ended)."""
    views = [i for i, (kind, _) in enumerate(messages) if kind == "view"]
    last_view = views[-1] if views else -1
    return [
        m
        for i, m in enumerate(messages)
        if m != SKIPPED and (m[0] != "view" or i == last_view or (isinstance(m[1], dict) and "frame" in m[1]))
    ]


@dataclass
class Follower:
    """One server showing a run: whether all its learners asked to pause, and when it last polled."""

    paused: bool = False
    seen: float = field(default_factory=time.monotonic)


@dataclass
class Run:
    """One computation in the cluster: its messages so far, its followers and its controls."""

    key: str
    messages: list[tuple[str, Any]] = field(default_factory=list)
    followers: dict[str, Follower] = field(default_factory=dict)
    steps: int = 0
    stop: bool = False
    stop_at: float | None = None
    ended: tuple[str, str] | None = None
    last_record: dict | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    stream: Any = None
    live_view: int | None = None  # where the newest live view (not a timeline moment) is

    def add(self, batch: list[tuple[str, Any]]) -> None:
        """Append a batch of the task's messages. A live view replaces the one before it with a
        placeholder (its index stays, so every follower's count does): a follower that had not
        read it gets the newer one, and a run's pictures are not all kept while it trains."""
        for kind, payload in batch:
            if kind == "record":
                self.last_record = payload
            elif kind == "view" and not (isinstance(payload, dict) and "frame" in payload):
                if self.live_view is not None:
                    self.messages[self.live_view] = SKIPPED
                self.live_view = len(self.messages)
            self.messages.append((kind, payload))
        self._wake()

    def end(self, status: str, error: str) -> None:
        self.ended = (status, error)
        self._wake()

    def _wake(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    @property
    def paused(self) -> bool:
        return bool(self.followers) and all(f.paused for f in self.followers.values()) and not self.stop


class Registry:
    """The actor (see the module docstring). Made with ``ray.remote(Registry).options(name=NAME, …)``
    by nnexplore.runs.ray_runner; every method but ``poll`` answers at once. All are coroutines:
    an async actor runs them one at a time on its event loop, so none needs a lock."""

    def __init__(self, store_runs: int = STORE_RUNS, store_mb: float = STORE_MB) -> None:
        self._runs: dict[str, Run] = {}  # by run id: training, or ended and not yet forgotten
        self._live: dict[str, str] = {}  # fingerprint -> the id of the run a newcomer may follow
        self._store: LRU[list] = LRU(int(store_runs), int(store_mb * 1024 * 1024))
        self._started = 0
        self._sweeper: asyncio.Task | None = None

    async def join(
        self, key: str | None, cfg: Any, server: str, view_fn: Any, options: dict, settings: dict
    ) -> tuple[str, str, list]:
        """(how, run id, messages): STORED with the whole stored run's messages, else JOINED or
        NEW with the id to poll. ``options`` are the task's Ray options (its CPU or GPU),
        ``settings`` the server's for the task (nnexplore.runs.ray_task.train_stream)."""
        self._start_sweeper()
        stored = self._store.get(key)
        if stored is not None:
            return STORED, "", stored
        run_id = self._live.get(key) if key is not None else None
        if run_id is not None:
            self._runs[run_id].followers[server] = Follower()
            return JOINED, run_id, []
        run_id = secrets.token_hex(8)
        run = Run(key or run_id, followers={server: Follower()})
        self._runs[run_id] = run
        if key is not None:
            self._live[key] = run_id
        self._started += 1
        asyncio.get_running_loop().create_task(self._read(run_id, run, (cfg, view_fn, settings), options))
        return NEW, run_id, []

    async def poll(self, run_id: str, server: str, since: int, wait_s: float) -> tuple[list, tuple | None]:
        """(the messages after the first ``since``, (status, error) once ended, else None); waits up
        to ``wait_s`` for something new. An unknown run reads as ended with an error."""
        run = self._runs.get(run_id)
        if run is None:
            return [], (ERROR, LOST)
        follower = run.followers.get(server)
        if follower is not None:
            follower.seen = time.monotonic()
        if len(run.messages) <= since and run.ended is None:
            changed = run.changed
            try:
                await asyncio.wait_for(changed.wait(), wait_s)
            except TimeoutError:
                pass
        return run.messages[since:], run.ended

    async def leave(self, run_id: str, server: str) -> bool:
        """``server`` shows this run no more; True while other servers still follow it (it trains
        on for them), False when it was the last (the run stops)."""
        run = self._runs.get(run_id)
        if run is None:
            return False
        run.followers.pop(server, None)
        if run.followers:
            return True
        self._stop(run_id, run)
        return False

    async def pause(self, run_id: str, server: str, paused: bool, steps: int) -> None:
        """``server``'s learners all asked to pause (or not), and gave ``steps`` more Steps."""
        run = self._runs.get(run_id)
        if run is not None and server in run.followers:
            run.followers[server].paused = paused
            run.steps += max(0, steps)

    async def control(self, run_id: str) -> tuple[bool, bool, int]:
        """(stop, paused, steps) for the task that trains ``run_id`` (nnexplore.runs.ray_task.Control)."""
        run = self._runs.get(run_id)
        if run is None:
            return True, False, 0
        return run.stop, run.paused, run.steps

    async def stats(self) -> dict[str, int]:
        """Runs started (trained) since the registry began, training now, and stored."""
        training = sum(1 for run in self._runs.values() if run.ended is None)
        return {"trained": self._started, "training": training, "stored": len(self._store)}

    # ----------------------------------------------------------------- internals

    async def _read(self, run_id: str, run: Run, asked: tuple, options: dict) -> None:
        """Start the run's task and read its stream into ``run`` until it ends, however it ends.
        ``asked``: the run's settings, view function and server settings (``join``'s)."""
        import ray

        from nnexplore.runs.ray_task import train_stream

        this = ray.get_runtime_context().current_actor
        task = ray.remote(train_stream).options(max_retries=0, **options)
        status, error = ERROR, LOST
        try:
            cfg, view_fn, settings = asked
            run.stream = task.remote(cfg, view_fn, this, run_id, settings)
            async for ref in run.stream:
                run.add(await ref)
            status, error = self._end_of(run)
        except ray.exceptions.TaskCancelledError:
            status, error = STOPPED, ""
        except Exception as err:  # a worker or node lost, out of memory: the run ends in words
            status, error = (STOPPED, "") if run.stop else (ERROR, task_error(err))
        finally:
            run.end(status, error)
            if self._live.get(run.key) == run_id:
                del self._live[run.key]
            if status in STORED_STATUSES:
                kept = compact(run.messages)
                self._store.put(run.key, kept, len(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)))
            # Followers still polling read the end; the run is forgotten once they had time to.
            asyncio.get_running_loop().call_later(FOLLOWER_TIMEOUT_S, self._runs.pop, run_id, None)

    @staticmethod
    def _end_of(run: Run) -> tuple[str, str]:
        """How a stream that ended by itself ended: its last message says."""
        kind, payload = run.messages[-1] if run.messages else ("end", None)
        if kind == "error":
            return ERROR, short_message(str(payload))
        return end_status(run.last_record, run.stop), ""

    def _stop(self, run_id: str, run: Run) -> None:
        """Stop a run: the task sees it within a fifth of a second; by force if it has not ended
        STOP_GRACE_S later. Nobody new may follow it (they would be stopped too)."""
        if run.stop:
            return
        run.stop, run.stop_at = True, time.monotonic()
        if self._live.get(run.key) == run_id:
            del self._live[run.key]
        asyncio.get_running_loop().call_later(STOP_GRACE_S, self._force_stop, run)

    @staticmethod
    def _force_stop(run: Run) -> None:
        import ray

        if run.ended is None and run.stream is not None:
            ray.cancel(run.stream, force=True)

    def _start_sweeper(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        """Every few seconds: followers that stopped polling are dropped, and their runs stopped
        when nobody follows them any more (a server that died cannot say it left)."""
        while True:
            await asyncio.sleep(FOLLOWER_TIMEOUT_S / 6)
            now = time.monotonic()
            for run_id, run in list(self._runs.items()):
                if run.ended is not None:
                    continue
                for server, follower in list(run.followers.items()):
                    if now - follower.seen > FOLLOWER_TIMEOUT_S:
                        del run.followers[server]
                if not run.followers:
                    self._stop(run_id, run)
