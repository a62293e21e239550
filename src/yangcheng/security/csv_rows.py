"""The small CSV tables a site writes by hand (wedge readings, step rectangles, known bags):
``#`` comment lines and blank lines skipped, a header, then rows of as many fields, each
error naming the file's line."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

__all__ = ["InvalidTable", "Row", "table_rows"]


class InvalidTable(ValueError):
    """A table, or a row of it, that cannot be used: where (file and line) and why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class Row(NamedTuple):
    line: int
    where: str
    """``<file> line <n>``, for errors."""
    fields: dict[str, str]


def table_rows(path: Path, error: type[InvalidTable]) -> tuple[str, list[str], list[Row]]:
    """(where the header is, its columns, the rows) of a table with at least a header;
    ``error(where, reason)`` is raised for what cannot be read."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise error(str(path), f"cannot be read ({exc.strerror})") from None
    numbered = [(i, t) for i, t in enumerate(lines, 1) if t.strip() and not t.startswith("#")]
    if not numbered:
        raise error(str(path), "holds no header and no rows")
    header_where = f"{path.name} line {numbered[0][0]}"
    header = [h.strip() for h in next(csv.reader([numbered[0][1]]))]
    rows = []
    for number, text in numbered[1:]:
        where = f"{path.name} line {number}"
        fields = [c.strip() for c in next(csv.reader([text]))]
        if len(fields) != len(header):
            raise error(where, f"has {len(fields)} fields; the header has {len(header)}")
        rows.append(Row(number, where, dict(zip(header, fields, strict=True))))
    return header_where, header, rows
