"""Shared finance fixtures: the face analyzer, the portrait, and synthetic recordings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.identity.face import FaceAnalyzer
from yangcheng.finance.identity.sample_faces import customer_portrait
from yangcheng.finance.recording.synthetic import SCENARIOS, build_recording

Recordings = Callable[[str], Path]


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    """recording("good") -> path of that scenario's MP4, built on first use."""
    folder = tmp_path_factory.mktemp("recordings")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = build_recording(SCENARIOS[name], folder / f"{name}.mp4")
        return built[name]

    return get


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """NASA's public-domain portrait of Eileen Collins (scikit-image), the customer."""
    return customer_portrait()
