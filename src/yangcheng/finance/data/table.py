"""A table of records as NumPy columns, with the card that says where it came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import numpy as np

from yangcheng.cards import DatasetCard


@dataclass
class TransactionTable:
    """Column name -> 1-D NumPy array, all of one length; a row is a plain ``dict``.

    ``table[i]`` is row ``i`` as a dict of Python scalars (what a serving request
    carries); ``table["amount_cny"]`` is a whole column.
    """

    data: dict[str, np.ndarray]
    card: DatasetCard

    def __post_init__(self) -> None:
        lengths = {name: len(col) for name, col in self.data.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"columns differ in length: {lengths}")
        for name, col in self.data.items():
            if col.ndim != 1:
                raise ValueError(f"column {name!r} is not 1-D (shape {col.shape})")

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    @overload
    def __getitem__(self, key: str) -> np.ndarray: ...

    @overload
    def __getitem__(self, key: int) -> dict[str, Any]: ...

    def __getitem__(self, key: int | str) -> dict[str, Any] | np.ndarray:
        if isinstance(key, str):
            return self.data[key]
        n = len(self)
        index = int(key)
        if not -n <= index < n:
            raise IndexError(f"row {key} out of range for {n} rows")
        return {name: col[index].item() for name, col in self.data.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]

    def __contains__(self, name: object) -> bool:
        return name in self.data

    def take(
        self, indices: Sequence[int] | np.ndarray, *, name: str | None = None
    ) -> TransactionTable:
        """The rows at ``indices`` (a split, a sample), in that order, with an updated card."""
        idx = np.asarray(indices)
        data = {col_name: col[idx] for col_name, col in self.data.items()}
        card = replace(self.card, records=len(idx), counts={}, name=name or self.card.name)
        return TransactionTable(data, card)


def column_counts(column: np.ndarray, prefix: str) -> Mapping[str, int]:
    """``{prefix + value: count}`` for a label or pattern column, for a dataset card."""
    values, counts = np.unique(column, return_counts=True)
    return {f"{prefix}{v}": int(c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}
