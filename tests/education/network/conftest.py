from __future__ import annotations

import pytest

from yangcheng.education.network.analytics import set_threads
from yangcheng.education.network.generate import SyntheticNetwork, generate_network


@pytest.fixture(scope="session")
def network() -> SyntheticNetwork:
    set_threads(1)
    return generate_network(4_000, 24_000, seed=3)
