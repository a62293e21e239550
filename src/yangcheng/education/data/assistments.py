"""The ASSISTments CSV exports (2009 skill builder, 2012, 2017) as learning logs.

ASSISTments is the field's most used source of real learning logs, and each year's export
names its columns a little differently; this reader maps them onto ``LOG_COLUMNS`` and makes
the choices pyKT makes where it makes them, saying so in ``read_assistments_csv``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import LogError, response_numbers, validate_log

__all__ = ["AssistmentsFileError", "read_assistments_csv", "write_assistments_csv"]

_log = logging.getLogger(__name__)


class AssistmentsFileError(ValueError):
    """A bad ASSISTments CSV: the path, the 1-based line and column when known, why."""

    def __init__(
        self, path: str | Path, reason: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = [str(path)]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {reason}")
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = reason


_ALIASES: dict[str, tuple[str, ...]] = {
    "student_id": ("user_id", "studentid", "student_id"),
    "item_id": ("problem_id", "problemid", "item_id"),
    "skill_id": ("skill_id", "skill", "skill_name"),
    "correct": ("correct",),
    "response_id": ("order_id", "problem_log_id", "log_id", "response_id"),
    "timestamp": ("start_time", "starttime", "timestamp"),
    "response_time_ms": ("ms_first_response",),
    "response_time_s": ("timetaken", "response_time_s"),
    "attempt": ("attempt_count", "attemptcount", "attempt"),
    "hint_count": ("hint_count", "hintcount"),
    "original": ("original",),
}
_REQUIRED = ("student_id", "item_id", "skill_id", "correct")


def read_assistments_csv(
    path: str | Path, *, originals_only: bool = False, encoding: str = "utf-8"
) -> pd.DataFrame:
    """Read an ASSISTments export (2009 skill builder, 2012, 2017) into a learning log.

    Columns are matched case-insensitively: ``user_id``/``studentId``, ``problem_id``/
    ``problemId``, ``skill_id`` (else ``skill``, else ``skill_name``) and ``correct`` are
    required; ``order_id`` (or ``problem_log_id``) orders the rows and groups the rows of one
    multi-skill response; ``start_time``/``startTime`` (epoch seconds, or a date: UTC unless
    it names a zone), ``ms_first_response``/``timeTaken``, ``attempt_count`` and
    ``hint_count`` are used when present; other columns are ignored. Decisions, as pyKT makes
    them where it makes them:

    * rows without a skill are dropped; the count is in ``log.attrs["dropped_rows"]``;
    * a skill id like ``"10_13"`` (several skills in one row) becomes one row per skill;
    * ``correct`` is the first attempt's outcome; partial credit (2015/2017 exports hold
      fractions) counts as correct only when it is 1 or more, the rest as 0;
    * ``attempt_count`` 0 (the student asked for the answer at once) becomes 1; negative
      ``ms_first_response`` (a known glitch of the 2009 export) becomes unknown (NaN);
    * ``originals_only`` drops scaffolding rows (``original`` = 0).

    Raises ``AssistmentsFileError`` naming the missing columns, or the line and column of a
    bad value.
    """
    path = Path(path)
    if not path.exists():
        raise AssistmentsFileError(path, "no such file")
    try:
        header = pd.read_csv(path, nrows=0, encoding=encoding, encoding_errors="replace")
    except pd.errors.EmptyDataError:
        raise AssistmentsFileError(path, "the file is empty") from None
    by_lower = {str(c).strip().lower(): c for c in header.columns}
    chosen: dict[str, str] = {}
    for target, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_lower:
                chosen[target] = by_lower[alias]
                break
    missing = [t for t in _REQUIRED if t not in chosen]
    if missing:
        wanted = ", ".join("/".join(_ALIASES[t][:2]) for t in missing)
        raise AssistmentsFileError(path, f"missing required column(s): {wanted}")
    raw = pd.read_csv(
        path,
        usecols=list(chosen.values()),
        dtype=str,
        encoding=encoding,
        encoding_errors="replace",
        keep_default_na=True,
    )
    raw = raw.rename(columns={v: k for k, v in chosen.items()})
    raw["_line"] = np.arange(len(raw)) + 2
    if len(raw) == 0:
        raise AssistmentsFileError(path, "the file has a header but no rows")
    dropped: dict[str, int] = {}
    no_skill = raw["skill_id"].isna() | (raw["skill_id"].str.strip() == "")
    dropped["missing skill_id"] = int(no_skill.sum())
    raw = raw[~no_skill]
    if originals_only and "original" in raw.columns:
        scaffolding = _numeric(path, raw, "original", chosen) == 0
        dropped["scaffolding (original=0)"] = int(scaffolding.sum())
        raw = raw[~scaffolding]
    if len(raw) == 0:
        raise AssistmentsFileError(path, f"no rows left after dropping rows: {dropped}")
    for column in ("student_id", "item_id"):
        empty = raw[column].isna()
        if empty.any():
            line = int(raw["_line"][empty].iloc[0])
            raise AssistmentsFileError(path, "is empty", line=line, column=chosen[column])
    raw = _split_skills(raw)
    log = pd.DataFrame({c: raw[c].str.strip().to_numpy() for c in _REQUIRED[:3]})
    credit = _numeric(path, raw, "correct", chosen)
    if np.isnan(credit).any():
        line = int(raw["_line"].to_numpy()[np.isnan(credit)][0])
        raise AssistmentsFileError(path, "is empty", line=line, column=chosen["correct"])
    partial = int(((credit > 0) & (credit < 1)).sum())
    log["correct"] = (credit >= 1).astype(np.int64)
    log["timestamp"] = _times(path, raw, chosen)
    if "response_time_ms" in raw.columns:
        ms = _numeric(path, raw, "response_time_ms", chosen)
        log["response_time_s"] = np.where(ms >= 0, ms / 1000.0, np.nan)
    elif "response_time_s" in raw.columns:
        seconds = _numeric(path, raw, "response_time_s", chosen)
        log["response_time_s"] = np.where(seconds >= 0, seconds, np.nan)
    if "attempt" in raw.columns:
        attempts = np.nan_to_num(_numeric(path, raw, "attempt", chosen), nan=1.0)
        log["attempt"] = np.maximum(attempts, 1).astype(np.int64)
    if "hint_count" in raw.columns:
        hints = np.nan_to_num(_numeric(path, raw, "hint_count", chosen), nan=0.0)
        log["hint_count"] = np.maximum(hints, 0).astype(np.int64)
    log["_line"] = raw["_line"].to_numpy()
    if "response_id" in raw.columns:
        log["response_id"] = raw["response_id"].fillna("").str.strip().to_numpy()
        order_key = pd.to_numeric(raw["response_id"], errors="coerce").to_numpy()
        if not np.isnan(order_key).any():
            log = log.iloc[np.argsort(order_key, kind="stable")].reset_index(drop=True)
    try:
        log = validate_log(log)
    except LogError as exc:  # a value the checks above let through; say where in the file
        where = None if exc.row is None else int(log["_line"].iloc[exc.row])
        name = chosen.get(exc.column or "", exc.column)
        raise AssistmentsFileError(path, exc.reason, line=where, column=name) from None
    log = log.drop(columns="_line")
    log.attrs["dropped_rows"] = dropped
    log.attrs["partial_credit_rows"] = partial
    log.attrs["source"] = str(path)
    if any(dropped.values()):
        _log.info("%s: dropped rows %s", path, dropped)
    return log


def write_assistments_csv(log: pd.DataFrame, path: str | Path) -> None:
    """Write a log in the skill-builder layout (``read_assistments_csv`` reads it back).

    Rows of one response share an ``order_id``, numbered in the log's order; times are written
    as ``start_time`` epoch seconds when the log has any.
    """
    log = validate_log(log)
    ms = log["response_time_s"].to_numpy() * 1000.0
    out = pd.DataFrame(
        {
            "order_id": response_numbers(log) + 1,
            "user_id": log["student_id"],
            "problem_id": log["item_id"],
            "skill_id": log["skill_id"],
            "correct": log["correct"],
            "ms_first_response": pd.array(np.round(ms), dtype="Int64"),
            "attempt_count": log["attempt"],
            "hint_count": log["hint_count"],
        }
    )
    if log["timestamp"].notna().any():
        out["start_time"] = log["timestamp"]
    out.to_csv(path, index=False)


def _numeric(path: Path, raw: pd.DataFrame, column: str, chosen: dict[str, str]) -> np.ndarray:
    values = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & raw[column].notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise AssistmentsFileError(
            path,
            f"is not a number: {raw[column].iloc[first]!r}",
            line=int(raw["_line"].iloc[first]),
            column=chosen[column],
        )
    return values


def _times(path: Path, raw: pd.DataFrame, chosen: dict[str, str]) -> np.ndarray:
    """Epoch seconds from numbers (2017's ``startTime``) or dates (2012's ``start_time``)."""
    if "timestamp" not in raw.columns:
        return np.full(len(raw), np.nan)
    text = raw["timestamp"]
    seconds = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    dated = np.isnan(seconds) & text.notna().to_numpy()
    if dated.any():
        stamps = pd.to_datetime(text[dated], errors="coerce", utc=True, format="mixed")
        bad = stamps.isna().to_numpy()
        if bad.any():
            first = int(np.flatnonzero(dated)[np.flatnonzero(bad)[0]])
            raise AssistmentsFileError(
                path,
                f"is neither epoch seconds nor a date: {text.iloc[first]!r}",
                line=int(raw["_line"].iloc[first]),
                column=chosen["timestamp"],
            )
        epoch = pd.Timestamp(0, tz="UTC")
        seconds[dated] = (stamps - epoch).dt.total_seconds().to_numpy(dtype=np.float64)
    return seconds


def _split_skills(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per skill where a row lists several as ``10_13`` (integer ids only)."""
    skills = raw["skill_id"].str.strip()
    multi = skills.str.fullmatch(r"\d+(_\d+)+")
    if not multi.any():
        return raw.assign(skill_id=skills)
    parts = skills.where(~multi, skills.str.split("_")).map(
        lambda v: v if isinstance(v, list) else [v]
    )
    return raw.assign(skill_id=parts).explode("skill_id", ignore_index=True)
