"""Where the workers run: supervised local processes, or Ray actors (one per lane).

A line is a long-running service, so its workers are supervised rather than pooled: a
process pool treats a killed worker as a broken pool, while a line must carry on. Locally a
supervisor restarts a dead worker process; on Ray, actors restart themselves
(``max_restarts``) and their ``run`` call is retried. Either way the items the dead worker
held return through their leases.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from yangcheng.security.line.worker import WorkerConfig, run_worker


class WorkerGroup(Protocol):
    restarts: int
    count: int

    def start(self) -> None: ...

    def supervise(self) -> None:
        """Replace workers that died; called every fraction of a second by the runner."""
        ...

    def join(self, timeout_s: float) -> bool:
        """Wait for every worker to finish the drained line; True when all did."""
        ...

    def stop(self) -> None: ...


class ProcessWorkers:
    """``count`` worker processes (spawned: the caller may hold threads and locks)."""

    def __init__(self, config: WorkerConfig, count: int = 2) -> None:
        if count < 1:
            raise ValueError(f"workers must be >= 1, got {count}")
        self.config = config
        self.count = count
        self.restarts = 0
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: list[BaseProcess] = []
        self._done = threading.Event()

    def _spawn(self, slot: int) -> BaseProcess:
        name = f"w{slot + 1}" + (f".{self.restarts}" if self.restarts else "")
        proc = self._ctx.Process(target=run_worker, args=(self.config, name), name=name)
        proc.start()
        return proc

    def start(self) -> None:
        self._procs = [self._spawn(i) for i in range(self.count)]

    @property
    def processes(self) -> Sequence[BaseProcess]:
        return tuple(self._procs)

    def supervise(self) -> None:
        for slot, proc in enumerate(self._procs):
            if proc.exitcode is not None and proc.exitcode != 0:
                self.restarts += 1
                self._procs[slot] = self._spawn(slot)

    def join(self, timeout_s: float) -> bool:
        for proc in self._procs:
            proc.join(timeout_s)
        return all(p.exitcode == 0 for p in self._procs)

    def stop(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            proc.join(5)


class RayLaneWorkers:
    """One Ray actor per lane, each leasing only its lane's items; restarted by Ray."""

    def __init__(self, config: WorkerConfig, lanes: Sequence[str], num_cpus: float = 1.0) -> None:
        import ray

        self._ray = ray
        self.config = config
        self.lanes = list(lanes)
        self.count = len(self.lanes)
        self.num_cpus = num_cpus
        self.restarts = 0
        self.actors: list[Any] = []
        self._refs: list[Any] = []

    def start(self) -> None:
        actor_class = self._ray.remote(max_restarts=-1, max_task_retries=-1)(LaneActor)
        for lane in self.lanes:
            cfg = WorkerConfig(**{**self.config.__dict__, "lanes": (lane,)})
            actor = actor_class.options(num_cpus=self.num_cpus).remote(cfg, f"lane-{lane}")
            self.actors.append(actor)
            self._refs.append(actor.run.remote())  # type: ignore[attr-defined]

    def supervise(self) -> None:
        """Ray restarts the actors itself; nothing to do here."""

    def join(self, timeout_s: float) -> bool:
        ready, _ = self._ray.wait(self._refs, num_returns=len(self._refs), timeout=timeout_s)
        return len(ready) == len(self._refs)

    def stop(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor, no_restart=True)


class LaneActor:
    """A Ray actor's body: a worker that survives its own restarts (state is in the store)."""

    def __init__(self, config: WorkerConfig, name: str) -> None:
        self.config = config
        self.name = name

    def run(self) -> dict[str, Any]:
        import os

        # Each incarnation signs its own name: a restarted actor is a different worker to
        # the store, and the record shows who decided what.
        stats = run_worker(self.config, f"{self.name}.{os.getpid()}")
        return stats.__dict__
