"""Learning logs: what a tutoring system records, one row per response and skill.

A log is a pandas DataFrame with the columns of ``LOG_COLUMNS``. It keeps everything a
tutoring system exports (times, response times, attempts, hints), which sequences for
knowledge tracing drop. A question tagged with several skills takes one row per skill, as the
ASSISTments exports do; the rows of one response are consecutive and share ``item_id``,
``timestamp`` and ``correct`` (or, when the optional ``response_id`` column is there, share
it). ``to_sequences`` turns a log into the dense ``KTSequences`` models read, and
``from_sequences`` turns sequences back into a log (without what sequences do not keep).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from yangcheng.education.data.errors import TableError
from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.data.vocabulary import index_ids, sort_ids

__all__ = [
    "LOG_COLUMNS",
    "REQUIRED_COLUMNS",
    "LogError",
    "from_sequences",
    "response_numbers",
    "to_sequences",
    "validate_log",
]

LOG_COLUMNS = (
    "student_id",
    "item_id",
    "skill_id",
    "timestamp",
    "correct",
    "response_time_s",
    "attempt",
    "hint_count",
)
"""The log schema: ids are strings; ``timestamp`` is seconds since the epoch (NaN: unknown);
``correct`` is the first attempt's 0/1; ``response_time_s`` NaN when unknown; ``attempt`` the
number of attempts (>= 1); ``hint_count`` the hints asked for (>= 0). An optional
``response_id`` column groups the rows of one multi-skill response; other columns are kept."""

REQUIRED_COLUMNS = ("student_id", "item_id", "skill_id", "correct")
"""Columns a log must have; the others default to NaN (times), 1 (attempt) and 0 (hints)."""

_ID_COLUMNS = ("student_id", "item_id", "skill_id")


class LogError(TableError):
    """A bad learning log: which row (0-based position) and column, and what is wrong."""

    table = "log"


def validate_log(log: pd.DataFrame) -> pd.DataFrame:
    """Check a log and return a copy in the canonical schema (column order and dtypes).

    Missing optional columns are filled with their defaults; ids become strings (integer
    floats such as ``12.0``, what a CSV reader makes of an id column with gaps, become
    ``"12"``); datetime timestamps become epoch seconds. Extra columns are kept, after the
    schema's. Raises ``LogError`` naming the first offending row and column.
    """
    if not isinstance(log, pd.DataFrame):
        raise TypeError(f"a learning log is a pandas DataFrame, got {type(log).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in log.columns]
    if missing:
        raise LogError(None, None, f"missing required column(s): {', '.join(missing)}")
    if len(log) == 0:
        raise LogError(None, None, "has no rows (an empty history)")
    out: dict[str, Any] = {}
    for column in _ID_COLUMNS:
        out[column] = _ids(log[column], column)
    out["timestamp"] = _timestamps(log)
    out["correct"] = _integers(log["correct"], "correct", low=0, high=1)
    out["response_time_s"] = _floats(log, "response_time_s", low=0.0)
    out["attempt"] = _integers(log.get("attempt"), "attempt", low=1, default=1, n=len(log))
    out["hint_count"] = _integers(log.get("hint_count"), "hint_count", low=0, default=0, n=len(log))
    if "response_id" in log.columns:
        out["response_id"] = _ids(log["response_id"], "response_id")
    frame = pd.DataFrame(out)
    extra = [c for c in log.columns if c not in frame.columns]
    for column in extra:
        frame[column] = log[column].to_numpy()
    return frame


def to_sequences(
    log: pd.DataFrame, name: str = "", *, like: KTSequences | None = None
) -> KTSequences:
    """The log's responses as dense per-student sequences, in time order.

    Each student's rows are ordered by ``timestamp`` and then by their order in the log (rows
    without a time come after those with one). Students, questions and skills are indexed in
    sorted id order (numeric when the ids are integers) so the indices do not depend on row
    order. A multi-skill response becomes one step whose skill is its question's first
    (lowest-index) skill; ``question_skills`` keeps all of them. With ``like`` the vocabularies
    of those sequences are used instead (a test log mapped like its training data), and an id
    they do not know raises ``LogError``.
    """
    log = validate_log(log)
    students = log["student_id"].to_numpy(dtype=object)
    student_vocab = sort_ids(students)
    student_idx = index_ids(students, student_vocab)
    timestamps = log["timestamp"].to_numpy(dtype=np.float64)
    order = np.lexsort(
        (np.arange(len(log)), np.where(np.isnan(timestamps), np.inf, timestamps), student_idx)
    )
    rows = log.iloc[order].reset_index(drop=True)
    original_row = order

    if like is None:
        question_vocab = sort_ids(rows["item_id"])
        skill_vocab = sort_ids(rows["skill_id"])
    else:
        question_vocab = like.question_ids or [str(i) for i in range(like.n_questions)]
        skill_vocab = like.skill_ids or [str(i) for i in range(like.n_skills)]
    questions = index_ids(rows["item_id"].to_numpy(dtype=object), question_vocab)
    skills = index_ids(rows["skill_id"].to_numpy(dtype=object), skill_vocab)
    for column, idx in (("item_id", questions), ("skill_id", skills)):
        unknown = np.flatnonzero(idx < 0)
        if unknown.size:
            first = int(unknown[np.argmin(original_row[unknown])])  # earliest in the log
            source = like.name if like is not None and like.name else "the reference sequences"
            raise LogError(
                int(original_row[first]),
                column,
                f"unknown id {rows[column].iloc[first]!r}: not in the vocabulary of {source}",
            )

    starts = _response_starts(rows, student_idx[order], questions, skills)
    group = np.cumsum(starts) - 1
    first_rows = np.flatnonzero(starts)

    if like is not None and like.question_skills:
        question_skills = like.question_skills
    elif like is not None:
        question_skills = []
    else:
        question_skills = _question_skills(questions, skills, len(question_vocab), len(skill_vocab))
    response_questions = questions[first_rows]
    if question_skills:
        primary = np.array([s[0] for s in question_skills], dtype=np.int64)
        response_skills = primary[response_questions]
    else:
        response_skills = np.full(first_rows.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(response_skills, group, skills)

    response_students = student_idx[order][first_rows]
    response_correct = rows["correct"].to_numpy(dtype=np.int8)[first_rows]
    response_times = rows["timestamp"].to_numpy(dtype=np.float64)[first_rows]
    bounds = np.flatnonzero(np.diff(response_students)) + 1
    sequences = []
    for lo, hi in zip(
        np.concatenate(([0], bounds)),
        np.concatenate((bounds, [first_rows.size])),
        strict=True,
    ):
        times = response_times[lo:hi]
        sequences.append(
            StudentSequence(
                student=student_vocab[response_students[lo]],
                questions=response_questions[lo:hi].copy(),
                skills=response_skills[lo:hi].copy(),
                correct=response_correct[lo:hi].copy(),
                timestamps=None if np.isnan(times).all() else times.copy(),
            )
        )
    return KTSequences(
        sequences,
        n_questions=len(question_vocab),
        n_skills=len(skill_vocab),
        question_ids=list(question_vocab),
        skill_ids=list(skill_vocab),
        name=name,
        question_skills=[list(s) for s in question_skills],
    )


def from_sequences(seqs: KTSequences) -> pd.DataFrame:
    """A log of the sequences: one row per response and skill of its question.

    The response's own skill comes first, then the question's other skills (from
    ``question_skills``). What sequences do not keep takes its default: NaN response time,
    attempt 1, no hints, and NaN timestamps for students without times.
    """
    question_names = seqs.question_ids or [str(i) for i in range(seqs.n_questions)]
    skill_names = seqs.skill_ids or [str(i) for i in range(seqs.n_skills)]
    records: dict[str, list[Any]] = {c: [] for c in LOG_COLUMNS}
    others = [np.asarray(s, dtype=np.int64) for s in seqs.question_skills]
    for seq in seqs:
        n = len(seq)
        times = seq.timestamps if seq.timestamps is not None else np.full(n, np.nan)
        own = seq.skills
        if others:
            skill_lists = [
                [int(own[j]), *(int(x) for x in others[q] if x != own[j])]
                for j, q in enumerate(seq.questions)
            ]
        else:
            skill_lists = [[int(s)] for s in own]
        repeats = np.array([len(s) for s in skill_lists])
        records["student_id"].extend([seq.student] * int(repeats.sum()))
        records["item_id"].extend(np.repeat(seq.questions, repeats).tolist())
        records["skill_id"].extend(s for lst in skill_lists for s in lst)
        records["timestamp"].extend(np.repeat(times, repeats).tolist())
        records["correct"].extend(np.repeat(seq.correct, repeats).tolist())
    total = len(records["student_id"])
    frame = pd.DataFrame(
        {
            "student_id": records["student_id"],
            "item_id": np.asarray(question_names, dtype=object)[records["item_id"]]
            if total
            else [],
            "skill_id": np.asarray(skill_names, dtype=object)[records["skill_id"]] if total else [],
            "timestamp": np.asarray(records["timestamp"], dtype=np.float64),
            "correct": np.asarray(records["correct"], dtype=np.int64),
            "response_time_s": np.full(total, np.nan),
            "attempt": np.ones(total, dtype=np.int64),
            "hint_count": np.zeros(total, dtype=np.int64),
        }
    )
    return frame


def response_numbers(log: pd.DataFrame) -> np.ndarray:
    """The 0-based response each row of a log belongs to, taking the rows in the log's order.

    Consecutive rows of one student form one response when they share ``response_id`` (when
    the log has one) and the item, or else when they share the item, timestamp and outcome
    and name different skills; a skill met again starts the next response.
    """
    log = validate_log(log)
    students = index_ids(log["student_id"].to_numpy(dtype=object), sort_ids(log["student_id"]))
    questions = index_ids(log["item_id"].to_numpy(dtype=object), sort_ids(log["item_id"]))
    skills = index_ids(log["skill_id"].to_numpy(dtype=object), sort_ids(log["skill_id"]))
    return np.cumsum(_response_starts(log, students, questions, skills)) - 1


def _response_starts(
    rows: pd.DataFrame, students: np.ndarray, questions: np.ndarray, skills: np.ndarray
) -> np.ndarray:
    """True where a row starts a new response (rows are in per-student time order)."""
    n = len(rows)
    starts = np.ones(n, dtype=bool)
    if n == 1:
        return starts
    same = (students[1:] == students[:-1]) & (questions[1:] == questions[:-1])
    if "response_id" in rows.columns:
        rid = rows["response_id"].to_numpy(dtype=object)
        starts[1:] = ~(same & (rid[1:] == rid[:-1]))
        return starts
    times = rows["timestamp"].to_numpy(dtype=np.float64)
    correct = rows["correct"].to_numpy()
    same_time = (times[1:] == times[:-1]) | (np.isnan(times[1:]) & np.isnan(times[:-1]))
    starts[1:] = ~(same & same_time & (correct[1:] == correct[:-1]) & (skills[1:] != skills[:-1]))
    # A skill seen twice in one run (s1, s2, s1) starts a new response: the same question
    # answered again, not a third skill. Runs of three or more rows are rare; look at those.
    run_starts = np.flatnonzero(starts)
    run_ends = np.append(run_starts[1:], n)
    for lo, hi in zip(run_starts, run_ends, strict=True):
        if hi - lo < 3:
            continue
        seen: set[int] = set()
        for r in range(lo, hi):
            if int(skills[r]) in seen:
                starts[r] = True
                seen = set()
            seen.add(int(skills[r]))
    return starts


def _question_skills(
    questions: np.ndarray, skills: np.ndarray, n_questions: int, n_skills: int
) -> list[list[int]]:
    pairs = np.unique(questions * n_skills + skills)
    owner, skill = np.divmod(pairs, n_skills)
    out: list[list[int]] = [[] for _ in range(n_questions)]
    bounds = np.flatnonzero(np.diff(owner)) + 1
    for chunk_q, chunk_s in zip(np.split(owner, bounds), np.split(skill, bounds), strict=True):
        out[int(chunk_q[0])] = chunk_s.tolist()
    return out


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _ids(series: pd.Series, column: str) -> np.ndarray:
    # Work on the distinct values: logs have millions of rows but thousands of ids.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if (codes < 0).any():
        raise LogError(_first(codes < 0), column, "is empty")
    values = np.asarray(uniques)
    if np.issubdtype(values.dtype, np.floating):
        fractional = np.mod(values, 1) != 0
        if fractional.any():
            raise LogError(_first(fractional[codes]), column, "an id must be an integer")
        values = values.astype(np.int64)
    text = np.array([str(v).strip() for v in values], dtype=object)
    blank = text == ""
    if blank.any():
        raise LogError(_first(blank[codes]), column, "is empty")
    return text[codes]


def _numbers(series: pd.Series, column: str) -> np.ndarray:
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & ~pd.isna(series.to_numpy())
    if bad.any():
        row = _first(bad)
        raise LogError(row, column, f"is not a number: {series.iloc[row]!r}")
    if np.isinf(numbers).any():
        raise LogError(_first(np.isinf(numbers)), column, "is not finite")
    return numbers


def _timestamps(log: pd.DataFrame) -> np.ndarray:
    if "timestamp" not in log.columns:
        return np.full(len(log), np.nan)
    series = log["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return seconds.to_numpy(dtype=np.float64)
    return _numbers(series, "timestamp")


def _floats(log: pd.DataFrame, column: str, low: float) -> np.ndarray:
    if column not in log.columns:
        return np.full(len(log), np.nan)
    numbers = _numbers(log[column], column)
    below = numbers < low
    if below.any():
        row = _first(below)
        raise LogError(row, column, f"must be >= {low}, got {numbers[row]}")
    return numbers


def _integers(
    series: pd.Series | None,
    column: str,
    low: int,
    high: int | None = None,
    default: int | None = None,
    n: int = 0,
) -> np.ndarray:
    if series is None:
        return np.full(n, default, dtype=np.int64)
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(np.int64)
    numbers = _numbers(series, column)
    if np.isnan(numbers).any():
        raise LogError(_first(np.isnan(numbers)), column, "is empty")
    bad = (numbers != np.round(numbers)) | (numbers < low)
    if high is not None:
        bad |= numbers > high
    if bad.any():
        row = _first(bad)
        allowed = f"{low} or {high}" if high == low + 1 else f"an integer >= {low}"
        raise LogError(row, column, f"must be {allowed}, got {series.iloc[row]!r}")
    return numbers.astype(np.int64)
