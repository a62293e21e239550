"""The detector CLI's progress: a live bar on a terminal, plain timed lines in a log."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from yangcheng.cli_detect import _Tasks


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tasks(terminal: bool, clock: _Clock) -> tuple[_Tasks, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=120)
    return _Tasks(Progress(console=console), every=60.0, clock=clock), out


def _lines(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if line.strip()]


def test_a_log_gets_one_line_a_minute_and_the_last_step() -> None:
    clock = _Clock()
    tasks, out = _tasks(False, clock)
    for step in range(1, 301):
        clock.now = step * 1.0
        tasks.update("training", step, 300, f"bag {step / 1000:.3f}")
    lines = _lines(out)
    # The phase starts at its first report (1 s): logged a minute on at 61, 121, 181 and
    # 241 s, and at the last step — five lines, not 300.
    assert len(lines) == 5
    assert "training 61/300 (20 %) 1m00s bag 0.061" in lines[0]
    assert "training 300/300 (100 %) 4m59s bag 0.300" in lines[-1]


def test_advancing_counts_what_was_added() -> None:
    clock = _Clock()
    tasks, out = _tasks(False, clock)
    for _ in range(4):
        clock.now += 10
        tasks.advance("validating", 25, 100)
    assert [line.split(" ", 1)[1] for line in _lines(out)] == ["validating 100/100 (100 %) 0m30s"]


def test_phases_are_timed_separately() -> None:
    clock = _Clock()
    tasks, out = _tasks(False, clock)
    clock.now = 100
    tasks.update("simulating train", 10, 10)
    clock.now = 130
    tasks.update("training", 1, 2)
    clock.now = 200
    tasks.update("training", 2, 2)
    lines = _lines(out)
    assert "simulating train 10/10 (100 %) 0m00s" in lines[0]
    assert "training 2/2 (100 %) 1m10s" in lines[1]


def test_a_terminal_gets_the_live_bar_only() -> None:
    clock = _Clock()
    tasks, out = _tasks(True, clock)
    for step in range(1, 121):
        clock.now = float(step)
        tasks.update("training", step, 120)
    assert "(100 %)" not in out.getvalue()


def test_a_long_line_is_not_wrapped_in_a_log() -> None:
    clock = _Clock()
    tasks, out = _tasks(False, clock)
    tasks.update("training", 1, 1, "heatmap 0.619 " * 12)
    assert len(_lines(out)) == 1


def test_the_validation_size_defaults_are_the_validation_splits() -> None:
    """The commands that calibrate repeat the split's sizes as typer defaults; a changed
    split must not leave them fixing thresholds on a different one."""
    import inspect

    from yangcheng.cli_detect import average_command, calibrate_command, train_command
    from yangcheng.security.detect.training_data import VALIDATION_SPLIT

    (_, standard, standard_hard), (_, hard, hard_hard) = VALIDATION_SPLIT.parts
    assert (standard_hard, hard_hard) == (False, True)
    for command in (train_command, average_command, calibrate_command):
        params = inspect.signature(command).parameters
        assert params["val_images"].default == standard, command.__name__
        assert params["val_hard_images"].default == hard, command.__name__
