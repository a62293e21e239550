from __future__ import annotations

import pytest

from yangcheng.education.recommend import (
    InteractionDataset,
    TimeSplit,
    simulate_interactions,
    time_split,
)


@pytest.fixture(scope="session")
def tiny() -> InteractionDataset:
    return simulate_interactions("sim-tiny", seed=3)


@pytest.fixture(scope="session")
def tiny_split(tiny: InteractionDataset) -> TimeSplit:
    return time_split(tiny.interactions, test_fraction=0.3)
