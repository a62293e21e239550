"""Executors: one interface, a local pool by default, Ray for a cluster.

A task is a picklable module-level function and plain arguments, so the same
task runs in a thread, a local process, or a Ray worker on another machine.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Any, Protocol

from yangcheng.config import Settings

log = logging.getLogger(__name__)

Task = Callable[..., Any]
OnError = Callable[[BaseException], None]


class Executor(Protocol):
    name: str

    def submit(self, fn: Task, *args: Any, on_error: OnError | None = None) -> None: ...

    def map_unordered(self, fn: Task, calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """Run ``fn(*args)`` for every tuple; yield results as they finish.

        For sharded batch work whose caller wants progress (dataset generation,
        evaluation): a failed call raises here, in the caller, after the calls
        already running have been cancelled or allowed to finish.
        """
        ...

    def shutdown(self) -> None: ...


class LocalExecutor:
    """A process pool (isolation, real parallelism) or a thread pool (tests, light work)."""

    def __init__(self, kind: str = "process", workers: int = 2) -> None:
        self.name = f"local-{kind}"
        self._pool: _PoolExecutor
        if kind == "process":
            # spawn, not fork: the server process has threads, and a forked
            # copy of a held lock would deadlock the child.
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
        elif kind == "thread":
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yc-job")
        else:
            raise ValueError(f"executor kind must be 'process' or 'thread', not {kind!r}")

    def submit(self, fn: Task, *args: Any, on_error: OnError | None = None) -> None:
        future = self._pool.submit(fn, *args)
        future.add_done_callback(lambda f: _report(f, on_error))

    def map_unordered(self, fn: Task, calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        futures = [self._pool.submit(fn, *args) for args in calls]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _report(future: Future[Any], on_error: OnError | None) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.error("task failed: %r", exc)
        if on_error is not None:
            on_error(exc)


class RayExecutor:
    """Runs tasks as Ray remote functions; starts a local Ray when no address is given."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        import ray

        self.name = "ray"
        self._ray = ray
        self._started_here = False
        if not ray.is_initialized():
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
            self._started_here = True
        self._remote: dict[Task, Any] = {}
        self._pending: list[tuple[Any, OnError | None]] = []

    def submit(self, fn: Task, *args: Any, on_error: OnError | None = None) -> None:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        ref = remote.remote(*args)
        self._pending.append((ref, on_error))
        self._reap()

    def _reap(self) -> None:
        if not self._pending:
            return
        refs = [r for r, _ in self._pending]
        ready, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        done = set(ready)
        keep = []
        for ref, on_error in self._pending:
            if ref not in done:
                keep.append((ref, on_error))
                continue
            try:
                self._ray.get(ref)
            except Exception as exc:
                log.error("ray task failed: %r", exc)
                if on_error is not None:
                    on_error(exc)
        self._pending = keep

    def map_unordered(self, fn: Task, calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        pending = [remote.remote(*args) for args in calls]
        try:
            while pending:
                ready, pending = self._ray.wait(pending, num_returns=1)
                yield self._ray.get(ready[0])
        finally:
            for ref in pending:
                self._ray.cancel(ref)

    def wait(self, timeout_s: float | None = None) -> None:
        refs = [r for r, _ in self._pending]
        if refs:
            self._ray.wait(refs, num_returns=len(refs), timeout=timeout_s)
        self._reap()

    def shutdown(self) -> None:
        self.wait(timeout_s=30)
        if self._started_here:
            self._ray.shutdown()


def make_executor(settings: Settings) -> Executor:
    if settings.executor == "ray":
        return RayExecutor(settings.ray_address, num_cpus=settings.workers)
    return LocalExecutor(settings.executor, settings.workers)
