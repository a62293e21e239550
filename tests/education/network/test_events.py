from __future__ import annotations

import pandas as pd
import pytest

from yangcheng.education.network.events import (
    NODE_TYPES,
    EventsError,
    from_dataframe,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": ["ann", "bob", "ann", "bob"],
            "dst": ["r1", "ann", "t9", "team1"],
            "kind": ["view", "reply", "post", "member"],
            "timestamp": [10.0, 20.0, 30.0, 40.0],
        }
    )


def test_ids_and_types_are_mapped() -> None:
    events = from_dataframe(_frame())
    assert events.n_nodes == 5
    types = {events.label(i): NODE_TYPES[t] for i, t in enumerate(events.node_type)}
    assert types == {
        "ann": "student",
        "bob": "student",
        "r1": "resource",
        "t9": "thread",
        "team1": "team",
    }
    assert events.label(int(events.events["src"].iloc[1])) == "bob"


def test_missing_column_is_named() -> None:
    with pytest.raises(EventsError, match="timestamp"):
        from_dataframe(_frame().drop(columns="timestamp"))


def test_unknown_kind_names_row_and_column() -> None:
    frame = _frame()
    frame.loc[2, "kind"] = "like"
    with pytest.raises(EventsError, match=r"row 2, column 'kind'.*'like'") as info:
        from_dataframe(frame)
    assert info.value.row == 2


def test_type_clash_is_an_error() -> None:
    frame = _frame()
    frame.loc[3, "dst"] = "r1"  # a resource used as a team
    with pytest.raises(EventsError, match="column 'dst': node 'r1' is a resource here but a team"):
        from_dataframe(frame)


def test_bad_timestamp_and_self_loop() -> None:
    frame = _frame()
    frame["timestamp"] = frame["timestamp"].astype(object)
    frame.loc[1, "timestamp"] = "soon"
    with pytest.raises(EventsError, match="row 1, column 'timestamp'"):
        from_dataframe(frame)
    frame = _frame()
    frame.loc[1, "dst"] = "bob"
    with pytest.raises(EventsError, match=r"row 1, column 'dst'.*itself"):
        from_dataframe(frame)


def test_datetimes_become_epoch_seconds() -> None:
    frame = _frame()
    frame["timestamp"] = pd.to_datetime(["1970-01-01 00:00:10"] * 4)
    assert (from_dataframe(frame).events["timestamp"] == 10.0).all()
