"""One error shape for every table a user hands the education package.

Logs, interaction events and recommendation interactions are all tables a school exports,
and a wrong one should be reported the same way whichever reader found it: the row
(0-based position), the column, and what is wrong.
"""

from __future__ import annotations

__all__ = ["TableError"]


class TableError(ValueError):
    """A bad table: which row (0-based position) and column, and what is wrong."""

    table = "table"
    """What the table is called in messages."""
    named = False
    """Put the table's name before the row and column too (not only when neither is known)."""

    def __init__(self, row: int | None, column: str | None, reason: str) -> None:
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        place = ", ".join(where)
        if not place:
            place = self.table
        elif self.named:
            place = f"{self.table} {place}"
        super().__init__(f"{place}: {reason}")
        self.row = row
        self.column = column
        self.reason = reason
