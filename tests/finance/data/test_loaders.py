"""Readers of the public credit datasets: the real samples, and broken files named precisely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.data import DataFormatError, load_uci_taiwan, load_ulb_creditcard

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "finance"
ULB = DATA / "creditcard_sample.csv"
UCI = DATA / "UCI_Credit_Card.csv"

ULB_HEADER = ",Time," + ",".join(f"V{i}" for i in range(1, 29)) + ",Amount,Class"
UCI_HEADER = (
    "ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,"
    + ",".join(f"BILL_AMT{i}" for i in range(1, 7))
    + ","
    + ",".join(f"PAY_AMT{i}" for i in range(1, 7))
)


def ulb_line(index: int, cls: str = "0", amount: str = "12.5") -> str:
    return f"{index},{index * 10.0}," + ",".join(["0.1"] * 28) + f",{amount},{cls}"


def uci_line(ident: int, label: str = "1", limit: str = "2E+04") -> str:
    return f"{ident},{limit},2,2,1,24,2,2,-1,-1,-2,-2," + ",".join(["100"] * 12) + f",{label}"


@pytest.mark.skipif(not ULB.exists(), reason="shared ULB sample not present")
def test_ulb_sample() -> None:
    table = load_ulb_creditcard(ULB)
    assert len(table) == 1722
    assert int(table["is_fraud"].sum()) == 492
    assert table.columns[:3] == ["source_index", "time_s", "V1"]
    assert {"V28", "amount_eur", "is_fraud"} <= set(table.columns)
    assert table.card.licence.startswith("Open Database License")
    assert table.card.counts == {"is_fraud=False": 1230, "is_fraud=True": 492}
    assert np.all(table["amount_eur"] >= 0)


@pytest.mark.skipif(not UCI.exists(), reason="shared UCI Taiwan file not present")
def test_uci_taiwan() -> None:
    table = load_uci_taiwan(UCI)
    assert len(table) == 30000
    assert int(table["default"].sum()) == 6636
    by_id = dict(zip(table["ID"].tolist(), table["LIMIT_BAL"].tolist(), strict=True))
    assert by_id[7] == 500_000.0  # written 5E+05 in the file
    assert table["PAY_0"].dtype == np.int64 and table["BILL_AMT1"].dtype == np.float64
    assert table.card.licence == "CC BY 4.0"


def test_small_files_in_both_layouts(tmp_path: Path) -> None:
    ulb = tmp_path / "ulb.csv"
    ulb.write_text("\n".join([ULB_HEADER, ulb_line(0), ulb_line(1, "1")]) + "\n")
    table = load_ulb_creditcard(ulb)
    assert table["is_fraud"].tolist() == [False, True]
    no_index = tmp_path / "ulb_no_index.csv"
    no_index.write_text(ULB_HEADER[1:] + "\n" + ulb_line(0).split(",", 1)[1] + "\n")
    assert "source_index" not in load_ulb_creditcard(no_index).columns

    uci = tmp_path / "uci.csv"  # CRLF, the UCI spelling of the label
    uci.write_bytes(
        "\r\n".join(
            [UCI_HEADER + ",default.payment.next.month", uci_line(1), uci_line(2, "0")]
        ).encode()
    )
    table = load_uci_taiwan(uci)
    assert table["default"].tolist() == [True, False]
    assert table["LIMIT_BAL"].tolist() == [20000.0, 20000.0]


@pytest.mark.parametrize(
    ("header", "lines", "line", "words"),
    [
        (ULB_HEADER.replace(",Amount", ""), [ulb_line(0)], 1, "missing column Amount"),
        (ULB_HEADER.replace(",V7,", ",V77,"), [ulb_line(0)], 1, "missing column V7"),
        (ULB_HEADER, [ulb_line(0), ulb_line(1, amount="12,5")], 3, "fields"),
        (ULB_HEADER, [ulb_line(0), ulb_line(1, amount="abc")], 3, "column Amount: 'abc'"),
        (ULB_HEADER, [ulb_line(0, cls="2")], 2, "column Class: 2 is not 0 or 1"),
        (ULB_HEADER, [ulb_line(0, amount="nan")], 2, "not finite"),
        (ULB_HEADER, [], 2, "no data rows"),
    ],
)
def test_broken_ulb_files_say_where(
    tmp_path: Path, header: str, lines: list[str], line: int, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    with pytest.raises(DataFormatError) as info:
        load_ulb_creditcard(path)
    assert info.value.line == line
    assert words in str(info.value) and words in info.value.reason
    assert info.value.path == str(path)


def test_broken_uci_files_say_where(tmp_path: Path) -> None:
    path = tmp_path / "uci.csv"
    path.write_text(UCI_HEADER + "\n" + uci_line(1) + "\n")
    with pytest.raises(DataFormatError, match="missing label column"):
        load_uci_taiwan(path)
    path.write_text(UCI_HEADER.replace("PAY_AMT4,", "") + ",DEFAULT\n" + uci_line(1) + "\n")
    with pytest.raises(DataFormatError, match="missing column PAY_AMT4") as info:
        load_uci_taiwan(path)
    assert info.value.line == 1
    path.write_text(UCI_HEADER + ",DEFAULT\n" + uci_line(1) + "\n" + uci_line(2, limit="x") + "\n")
    with pytest.raises(DataFormatError, match="column LIMIT_BAL: 'x' is not a number") as info:
        load_uci_taiwan(path)
    assert info.value.line == 3
    path.write_text(UCI_HEADER + ",DEFAULT\n" + uci_line(1).replace(",24,", ",24.5,") + "\n")
    with pytest.raises(DataFormatError, match=r"column AGE: 24\.5 is not whole"):
        load_uci_taiwan(path)
    path.write_text("")
    with pytest.raises(DataFormatError, match="empty file"):
        load_uci_taiwan(path)
    path.write_bytes((UCI_HEADER + ",DEFAULT\n" + uci_line(1) + "\n").encode() + b"\xff\xfe,1\n")
    with pytest.raises(DataFormatError, match="not UTF-8") as info:
        load_uci_taiwan(path)
    assert info.value.line == 3
