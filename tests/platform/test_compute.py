"""Executors' sharded-work interface: every result comes back, errors reach the caller."""

from __future__ import annotations

import importlib.util

import pytest

from yangcheng.platform.compute import Executor, LocalExecutor


def _square(x: int) -> int:
    return x * x


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("shard 3 is bad")
    return x


def _check(executor: Executor) -> None:
    try:
        got = sorted(executor.map_unordered(_square, [(i,) for i in range(12)]))
        assert got == [i * i for i in range(12)]
        with pytest.raises(ValueError, match="shard 3 is bad"):
            list(executor.map_unordered(_fails_on_three, [(i,) for i in range(6)]))
    finally:
        executor.shutdown()


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_local_executors_return_every_result_and_raise_a_failed_call(kind: str) -> None:
    _check(LocalExecutor(kind, 2))


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_ray_executor_returns_every_result_and_raises_a_failed_call() -> None:
    from yangcheng.platform.compute import RayExecutor

    _check(RayExecutor(num_cpus=1))
