"""Readers for the standard public credit datasets, in the layouts they are published in.

Nothing is downloaded: the user gives the path of a file they obtained under the
dataset's terms. A file that does not follow the layout raises
:class:`DataFormatError` naming the line and the column or value at fault.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from yangcheng.finance.data.table import DatasetCard, TransactionTable, column_counts

_ULB_FEATURES = ("Time", *(f"V{i}" for i in range(1, 29)), "Amount")
_UCI_FEATURES = (
    "LIMIT_BAL",
    "SEX",
    "EDUCATION",
    "MARRIAGE",
    "AGE",
    "PAY_0",
    "PAY_2",
    "PAY_3",
    "PAY_4",
    "PAY_5",
    "PAY_6",
    *(f"BILL_AMT{i}" for i in range(1, 7)),
    *(f"PAY_AMT{i}" for i in range(1, 7)),
)
_UCI_LABELS = ("DEFAULT", "default.payment.next.month", "default payment next month")


class DataFormatError(ValueError):
    """A data file that does not follow its documented layout."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}, line {line}: {reason}")


def load_ulb_creditcard(path: str | Path) -> TransactionTable:
    """The ULB credit-card fraud data (Kaggle ``creditcard.csv`` layout, or a sample of it).

    Columns: an optional unnamed first column (the original row index, kept as
    ``source_index``), ``Time`` (seconds since the first transaction, as
    ``time_s``), ``V1``..``V28`` (PCA components), ``Amount`` (euros, as
    ``amount_eur``) and ``Class`` (1 = fraud, as ``is_fraud``).
    """
    header, rows = _read_csv(path)
    has_index = header[0].strip() in ("", "Unnamed: 0", "index")
    names = header[1:] if has_index else header
    _require(path, names, [*_ULB_FEATURES, "Class"])
    columns = [*(["__index"] if has_index else []), *names]
    values, lines = _numeric(path, columns, rows)
    label = _binary(path, values[columns.index("Class")], lines, "Class")
    data: dict[str, np.ndarray] = {}
    if has_index:
        data["source_index"] = values[0].astype(np.int64)
    data["time_s"] = values[columns.index("Time")]
    for i in range(1, 29):
        data[f"V{i}"] = values[columns.index(f"V{i}")]
    data["amount_eur"] = values[columns.index("Amount")]
    data["is_fraud"] = label
    card = DatasetCard(
        name="ulb_creditcard",
        version="2013-09",
        description=(
            "Card transactions by European cardholders over two days of September 2013; "
            "features V1-V28 are PCA components, Amount in euros, Class 1 = fraud."
        ),
        source="ULB Machine Learning Group (Dal Pozzolo et al. 2015), Kaggle: mlg-ulb",
        licence="Open Database License (ODbL) 1.0",
        records=len(label),
        counts=dict(column_counts(label, "is_fraud=")),
    )
    return TransactionTable(data, card)


def load_uci_taiwan(path: str | Path) -> TransactionTable:
    """UCI "default of credit card clients" (Taiwan, 2005), CSV with its column names.

    Columns ``ID``, ``LIMIT_BAL`` (NT dollars), ``SEX``, ``EDUCATION``,
    ``MARRIAGE``, ``AGE``, ``PAY_0``, ``PAY_2``..``PAY_6`` (repayment status,
    months late), ``BILL_AMT1..6``, ``PAY_AMT1..6`` and the label ``DEFAULT``
    (or ``default.payment.next.month``), kept as ``default``. Numbers may be
    written as ``5E+05``; line ends may be CRLF.
    """
    header, rows = _read_csv(path)
    label = next((name for name in _UCI_LABELS if name in header), None)
    if label is None:
        raise DataFormatError(
            path, 1, "missing label column (DEFAULT or default.payment.next.month)"
        )
    _require(path, header, ["ID", *_UCI_FEATURES])
    values, lines = _numeric(path, header, rows)
    data = {"ID": _integral(path, values[header.index("ID")], lines, "ID")}
    for name in _UCI_FEATURES:
        column = values[header.index(name)]
        money = name.startswith(("BILL_AMT", "PAY_AMT", "LIMIT_BAL"))
        data[name] = column if money else _integral(path, column, lines, name)
    data["default"] = _binary(path, values[header.index(label)], lines, label)
    card = DatasetCard(
        name="uci_taiwan_credit_default",
        version="2009",
        description=(
            "Credit-card clients of a Taiwanese bank, April-September 2005: limit, "
            "demographics, six months of repayment status, bills and payments (NT$); "
            "label: default on the next month's payment."
        ),
        source="UCI Machine Learning Repository, dataset 350 (Yeh & Lien 2009)",
        licence="CC BY 4.0",
        records=len(data["default"]),
        counts=dict(column_counts(data["default"], "default=")),
    )
    return TransactionTable(data, card)


def _read_csv(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(path, line, "not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        for fields in reader:
            if fields:
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise DataFormatError(path, reader.line_num, f"not CSV: {exc}") from None
    if not header:
        raise DataFormatError(path, 1, "empty file, no header")
    if not rows:
        raise DataFormatError(path, 2, "no data rows")
    return header, rows


def _require(path: str | Path, header: Sequence[str], required: Sequence[str]) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFormatError(path, 1, f"missing column {', '.join(missing)}")


def _numeric(
    path: str | Path, header: Sequence[str], rows: list[tuple[int, list[str]]]
) -> tuple[list[np.ndarray], np.ndarray]:
    """Every column of ``header`` as float64, and each row's line number in the file."""
    width = len(header)
    lines = np.array([line for line, _ in rows])
    for line, fields in rows:
        if len(fields) != width:
            raise DataFormatError(path, line, f"{len(fields)} fields, the header has {width}")
    try:
        out = np.array([list(map(float, fields)) for _, fields in rows], dtype=np.float64)
        finite = bool(np.isfinite(out).all())
    except ValueError:
        finite = False
    if not finite:  # find the first bad field, to say where it is
        for line, fields in rows:
            for name, text in zip(header, fields, strict=True):
                try:
                    value = float(text)
                except ValueError:
                    raise DataFormatError(
                        path, line, f"column {name}: {text!r} is not a number"
                    ) from None
                if not math.isfinite(value):
                    raise DataFormatError(path, line, f"column {name}: {text!r} is not finite")
    return [out[:, c].copy() for c in range(width)], lines


def _integral(path: str | Path, column: np.ndarray, lines: np.ndarray, name: str) -> np.ndarray:
    bad = np.flatnonzero(column != np.round(column))
    if len(bad):
        where = int(lines[bad[0]])
        raise DataFormatError(path, where, f"column {name}: {column[bad[0]]:g} is not whole")
    return column.astype(np.int64)


def _binary(path: str | Path, column: np.ndarray, lines: np.ndarray, name: str) -> np.ndarray:
    bad = np.flatnonzero((column != 0) & (column != 1))
    if len(bad):
        where = int(lines[bad[0]])
        raise DataFormatError(path, where, f"column {name}: {column[bad[0]]:g} is not 0 or 1")
    return column == 1
