"""Sequence files: the field's standard way to ship knowledge-tracing data (DKT, AKT, pyKT).

Sequence files hold one record of 3, 4 or 6 lines per student, comma-separated:

* ``"3"`` (DKT, AKT's ``assist2015``/``statics``): header; skill ids; responses. With only
  skills given, each skill is also the question (as those models read them).
* ``"4"`` (AKT's ``*_pid`` files): header; question ids; skill ids; responses.
* ``"6"`` (pyKT's ``data.txt``): ``student,length``; question ids or ``NA``; concept ids
  (several skills of one question joined by ``_``); responses; timestamps in ms or ``NA``;
  use times in ms or ``NA`` (not kept: sequences have no field for them).

The header is ``length``, ``length,student...``, pyKT's ``student,length``, or an opaque id:
AKT's ``assist2015`` headers look like ``5899,286217`` and their first number is not the
length. So the header's meaning is decided per file: when every record's header starts (or,
failing that, ends) with its record's length it is a length, and the rest is the student;
when most do but some do not, the file is malformed; otherwise the whole header is the
student id. Students without an id are numbered by their record (``"0"``, ``"1"``...).

Each file read alone is indexed by the ids it holds; read a train/valid/test split with
``read_sequence_files`` (one shared vocabulary) or with ``like=`` (the training file's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence

__all__ = ["SequenceFileError", "read_sequence_file", "read_sequence_files", "write_sequence_file"]

Layout = Literal["auto", "3", "4", "6"]
_LAYOUTS = (3, 4, 6)


class SequenceFileError(ValueError):
    """A malformed sequence file: the path, the 1-based line (None: the whole file), why."""

    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass
class _Record:
    line: int
    skills_line: int
    questions_line: int | None
    header: list[str]
    questions: np.ndarray | None
    skills: np.ndarray
    """Each response's own (first) skill."""
    extra: dict[int, list[int]]
    """Further skills of a response (pyKT's ``12_34``), by position."""
    correct: np.ndarray
    timestamps: np.ndarray | None


def read_sequence_file(
    path: str | Path, layout: Layout = "auto", name: str = "", *, like: KTSequences | None = None
) -> KTSequences:
    """Read a 3-, 4- or 6-line sequence file (``layout="auto"`` tells them apart).

    Auto keeps the layouts whose record size divides the line count and whose records parse
    (equal lengths, integer ids, 0/1 responses); when several do, the one whose headers are
    lengths wins, then the smaller. Ids are indexed in numeric order, or as in ``like`` (a
    test file read like its training file; an id ``like`` does not know is an error). Raises
    ``SequenceFileError`` naming the line for an empty file, a line count that is no multiple
    of the record size, unequal lengths within a record, non-integer ids, responses other
    than 0/1, a record with no responses, a header whose length disagrees with its record,
    or an unknown id.
    """
    path = Path(path)
    records, header = _read_records(path, layout)
    name = name or path.stem
    if like is None:
        questions, skills = _vocabularies([records])
        return _to_sequences(path, records, header, name, questions, skills, None)
    questions = _integer_ids(like.question_ids, like.n_questions, "question_ids")
    skills = _integer_ids(like.skill_ids, like.n_skills, "skill_ids")
    return _to_sequences(
        path, records, header, name, questions, skills, like.question_skills, like.name
    )


def read_sequence_files(paths: Sequence[str | Path], layout: Layout = "auto") -> list[KTSequences]:
    """Read files that belong together (train/valid/test) into one shared vocabulary.

    Each file alone is indexed by the ids it holds, so a skill absent from a test file would
    shift every later index; read together, the same id has the same index everywhere, and
    ``question_skills`` covers every question of every file. Names are the file stems.
    """
    read = [(Path(p), *_read_records(Path(p), layout)) for p in paths]
    questions, skills = _vocabularies([records for _, records, _ in read])
    question_skills = _question_skills(
        [(records, questions, skills) for _, records, _ in read], len(questions), len(skills)
    )
    return [
        _to_sequences(path, records, header, path.stem, questions, skills, question_skills)
        for path, records, header in read
    ]


def _read_records(path: Path, layout: Layout) -> tuple[list[_Record], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SequenceFileError(path, None, "no such file") from None
    except UnicodeDecodeError as exc:
        raise SequenceFileError(path, None, f"not UTF-8 text ({exc.reason})") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SequenceFileError(path, None, "the file is empty")
    if layout == "auto":
        sizes = [size for size in _LAYOUTS if len(lines) % size == 0]
        if not sizes:
            raise SequenceFileError(
                path,
                len(lines),
                f"{len(lines)} lines is not a multiple of 3, 4 or 6 (lines per student record)",
            )
    else:
        if layout not in ("3", "4", "6"):
            raise ValueError(f"layout must be 'auto', '3', '4' or '6', got {layout!r}")
        sizes = [int(layout)]
        if len(lines) % sizes[0]:
            raise SequenceFileError(
                path,
                len(lines),
                f"{len(lines)} lines is not a multiple of {sizes[0]} "
                f"(a {layout}-line record per student)",
            )
    parsed: list[tuple[int, list[_Record], str]] = []
    errors: list[SequenceFileError] = []
    for size in sizes:
        try:
            records = [
                _parse_record(path, lines, start, size) for start in range(0, len(lines), size)
            ]
            parsed.append((size, records, _header_kind(path, records)))
        except SequenceFileError as exc:
            errors.append(exc)
    if not parsed:
        # The layout that parsed furthest is the likeliest one the file meant.
        raise max(errors, key=lambda e: e.line or 0)
    _, records, header = min(parsed, key=lambda p: (p[2] == "id", p[0]))
    return records, header


def write_sequence_file(
    seqs: KTSequences, path: str | Path, layout: Literal["3", "4", "6"] = "4"
) -> None:
    """Write ``seqs`` so ``read_sequence_file`` gives them back (ids as the original ids).

    Headers are ``length,student`` (``student,length`` for pyKT's 6-line layout). The 3-line
    layout keeps only skills, so it loses questions; 6 lines keep timestamps (as ms; ``NA``
    when any is unknown) and every skill of a question. Original ids must be integers (the
    formats hold nothing else); sequences without ``question_ids``/``skill_ids`` are written
    with their dense indices.
    """
    if layout not in ("3", "4", "6"):
        raise ValueError(f"layout must be '3', '4' or '6', got {layout!r}")
    questions = _integer_names(seqs.question_ids, seqs.n_questions, "question_ids")
    skills = _integer_names(seqs.skill_ids, seqs.n_skills, "skill_ids")
    out: list[str] = []
    for seq in seqs:
        n = len(seq)
        skill_line = ",".join(skills[seq.skills].tolist())
        correct_line = ",".join(map(str, seq.correct.tolist()))
        if layout == "3":
            out += [f"{n},{seq.student}", skill_line, correct_line]
        elif layout == "4":
            out += [f"{n},{seq.student}", ",".join(questions[seq.questions].tolist())]
            out += [skill_line, correct_line]
        else:
            names: list[str] = skills.tolist()
            concepts = [
                "_".join([names[s], *(names[x] for x in seqs.question_skills[q] if x != s)])
                if seqs.question_skills
                else names[s]
                for q, s in zip(seq.questions.tolist(), seq.skills.tolist(), strict=True)
            ]
            times = (
                "NA"
                if seq.timestamps is None or np.isnan(seq.timestamps).any()
                else ",".join(str(round(t * 1000)) for t in seq.timestamps.tolist())
            )
            out += [f"{seq.student},{n}", ",".join(questions[seq.questions].tolist())]
            out += [",".join(concepts), correct_line, times, "NA"]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def _integer_ids(names: list[str], n: int, what: str) -> np.ndarray:
    """The ids of a vocabulary as integers (the dense indices when it has none)."""
    return np.array([int(v) for v in _integer_names(names, n, what)], dtype=np.int64)


def _integer_names(names: list[str], n: int, what: str) -> np.ndarray:
    if not names:
        return np.array([str(i) for i in range(n)], dtype=object)
    for name in names:
        try:
            int(name)
        except ValueError:
            raise ValueError(
                f"{what} holds {name!r}: sequence files hold integer ids only"
            ) from None
    return np.array(names, dtype=object)


def _tokens(line: str) -> list[str]:
    text = line.strip()
    if not text:
        return []
    tokens = text.split(",")
    if tokens[-1].strip() == "":
        tokens.pop()  # a trailing comma, as some exporters write
    return tokens


def _integers(path: Path, number: int, tokens: list[str], what: str) -> np.ndarray:
    try:
        return np.array(tokens, dtype=np.int64)
    except ValueError:
        for position, token in enumerate(tokens, start=1):
            try:
                int(token)
            except ValueError:
                raise SequenceFileError(
                    path, number, f"{what}: entry {position} {token.strip()!r} is not an integer"
                ) from None
        raise


def _parse_record(path: Path, lines: list[str], start: int, size: int) -> _Record:
    header = [t.strip() for t in _tokens(lines[start])]
    if not header:
        raise SequenceFileError(path, start + 1, "empty header line")
    body = [_tokens(line) for line in lines[start + 1 : start + size]]
    correct_at = {3: 1, 4: 2, 6: 2}[size]
    skills_at = {3: 0, 4: 1, 6: 1}[size]
    length = len(body[correct_at])
    if length == 0:
        raise SequenceFileError(
            path, start + 2 + correct_at, "the record has no responses (an empty history)"
        )
    na = ["NA"]
    lengths = [(skills_at, "skill ids")]
    if size > 3 and body[0] != na:
        lengths.append((0, "question ids"))
    if size == 6:
        lengths += [(i, what) for i, what in ((3, "timestamps"), (4, "use times")) if body[i] != na]
    for i, what in lengths:
        if len(body[i]) != length:
            raise SequenceFileError(
                path,
                start + 2 + i,
                f"{what} have {len(body[i])} entries but the responses on line "
                f"{start + 2 + correct_at} have {length}",
            )
    extra: dict[int, list[int]] = {}
    skill_tokens = body[skills_at]
    if size == 6 and any("_" in t for t in skill_tokens):
        skill_tokens = list(skill_tokens)
        for j, token in enumerate(skill_tokens):
            if "_" in token:
                first, *others = token.split("_")
                skill_tokens[j] = first
                extra[j] = _integers(path, start + 2 + skills_at, others, "skill ids").tolist()
    skills = _integers(path, start + 2 + skills_at, skill_tokens, "skill ids")
    questions = None
    if size > 3 and body[0] != na:
        questions = _integers(path, start + 2, body[0], "question ids")
    timestamps = None
    if size == 6 and body[3] != na:
        timestamps = _integers(path, start + 5, body[3], "timestamps") / 1000.0
    correct = _integers(path, start + 2 + correct_at, body[correct_at], "responses")
    bad = np.flatnonzero((correct != 0) & (correct != 1))
    if bad.size:
        raise SequenceFileError(
            path,
            start + 2 + correct_at,
            f"responses must be 0 or 1: entry {bad[0] + 1} is {correct[bad[0]]}",
        )
    return _Record(
        start + 1,
        start + 2 + skills_at,
        None if questions is None else start + 2,
        header,
        questions,
        skills,
        extra,
        correct.astype(np.int8),
        timestamps,
    )


def _header_kind(path: Path, records: list[_Record]) -> str:
    """'first' or 'last' (which header field is the length), or 'id' (the header is opaque)."""
    best = ("id", 0)
    for kind, field in (("first", 0), ("last", -1)):
        matches = [r.header[field] == str(len(r.correct)) for r in records]
        if all(matches):
            return kind
        best = max(best, (kind, sum(matches)), key=lambda b: b[1])
    if best[1] * 2 > len(records):
        field = 0 if best[0] == "first" else -1
        record = next(r for r in records if r.header[field] != str(len(r.correct)))
        raise SequenceFileError(
            path,
            record.line,
            f"the header says {record.header[field]} responses but the record has "
            f"{len(record.correct)} (most headers in this file give the length)",
        )
    return "id"


def _vocabularies(files: list[list[_Record]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted question and skill ids over all records (questions are skills when no file
    gives questions)."""
    records = [r for file in files for r in file]
    extra = [s for r in records for others in r.extra.values() for s in others]
    skills = np.unique(np.concatenate([*(r.skills for r in records), np.array(extra, np.int64)]))
    if not any(r.questions is not None for r in records):
        return skills, skills
    questions = np.unique(np.concatenate([_question_ids(r) for r in records]))
    return questions, skills


def _question_ids(record: _Record) -> np.ndarray:
    return record.questions if record.questions is not None else record.skills


def _lookup(
    path: Path, records: list[_Record], vocabulary: np.ndarray, what: str, source: str
) -> np.ndarray:
    """Dense indices of each record's question (``what="question"``) or skill ids."""
    values = np.concatenate([_question_ids(r) if what == "question" else r.skills for r in records])
    sorter = np.argsort(vocabulary, kind="stable")
    at = np.minimum(np.searchsorted(vocabulary, values, sorter=sorter), len(vocabulary) - 1)
    index = sorter[at]
    unknown = np.flatnonzero(vocabulary[index] != values)
    if unknown.size:
        bounds = np.cumsum([len(r.correct) for r in records])
        number = int(np.searchsorted(bounds, unknown[0], side="right"))
        record = records[number]
        line = record.skills_line
        if what == "question" and record.questions_line is not None:
            line = record.questions_line
        raise SequenceFileError(
            path, line, f"{what} id {values[unknown[0]]} is not in the vocabulary of {source}"
        )
    return index


def _question_skills(
    files: list[tuple[list[_Record], np.ndarray, np.ndarray]], n_questions: int, n_skills: int
) -> list[list[int]]:
    """Every skill each question is tagged with, over all files."""
    pairs = []
    for records, question_vocab, skill_vocab in files:
        path = Path("")
        questions = _lookup(path, records, question_vocab, "question", "")
        own = _lookup(path, records, skill_vocab, "skill", "")
        pairs.append(questions * n_skills + own)
        offset = 0
        for record in records:
            for j, others in record.extra.items():
                more = np.searchsorted(skill_vocab, np.array(others, dtype=np.int64))
                pairs.append(questions[offset + j] * n_skills + more)
            offset += len(record.correct)
    owner, skill = np.divmod(np.unique(np.concatenate(pairs)), n_skills)
    out: list[list[int]] = [[] for _ in range(n_questions)]
    for q, s in zip(owner.tolist(), skill.tolist(), strict=True):
        out[q].append(s)
    return out


def _to_sequences(
    path: Path,
    records: list[_Record],
    header: str,
    name: str,
    question_vocab: np.ndarray,
    skill_vocab: np.ndarray,
    question_skills: list[list[int]] | None,
    source: str = "",
) -> KTSequences:
    source = source or "the reference sequences"
    own = _lookup(path, records, skill_vocab, "skill", source)
    questions = _lookup(path, records, question_vocab, "question", source)
    if question_skills is None:
        question_skills = _question_skills(
            [(records, question_vocab, skill_vocab)], len(question_vocab), len(skill_vocab)
        )
    bounds = np.cumsum([0, *(len(r.correct) for r in records)])
    sequences = []
    for number, record in enumerate(records):
        if header == "first":
            student = ",".join(record.header[1:]) or str(number)
        elif header == "last":
            student = ",".join(record.header[:-1]) or str(number)
        else:
            student = ",".join(record.header)
        lo, hi = bounds[number], bounds[number + 1]
        seq = StudentSequence(
            student, questions[lo:hi], own[lo:hi], record.correct, record.timestamps
        )
        sequences.append(seq)
    return KTSequences(
        sequences,
        n_questions=len(question_vocab),
        n_skills=len(skill_vocab),
        question_ids=[str(i) for i in question_vocab.tolist()],
        skill_ids=[str(i) for i in skill_vocab.tolist()],
        name=name,
        question_skills=question_skills,
    )
