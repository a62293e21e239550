"""Dense id vocabularies: original ids to 0..n-1 in an order that does not depend on the data's.

Knowledge-tracing models embed dense indices, so every loader turns the ids it reads into
``0..n-1``. Sorting the ids (numerically when they are all integers, so ``"9" < "10"``) makes
the indices a function of the *set* of ids, not of which student came first: two files with
the same ids get the same indices, and a generated dataset gets the same bytes every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

_INTEGER = re.compile(r"-?\d+")


def sort_ids(ids: Iterable[str]) -> list[str]:
    """The distinct ids, in numeric order when all are integers, else in string order."""
    unique = set(ids)
    if all(_INTEGER.fullmatch(i) for i in unique):
        return sorted(unique, key=lambda i: (int(i), i))
    return sorted(unique)


def index_ids(ids: np.ndarray, vocabulary: list[str]) -> np.ndarray:
    """Dense index of each id in ``vocabulary``; -1 where an id is not in it."""
    codes = pd.Categorical(ids, categories=vocabulary).codes
    return np.asarray(codes, dtype=np.int64)
