"""A small real plan (coarse C-shape, five coplanar beams and one non-coplanar beam, dose from
the engine's influence matrix) exported once for every test module here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pydicom import config

from yangcheng.radiotherapy.dicom import StudyIdentity, export_study
from yangcheng.radiotherapy.dose import Beam, Beamlets, DoseGrid, influence_matrix, pencil_beamlets
from yangcheng.radiotherapy.phantoms import Phantom, c_shape_phantom


@dataclass
class ExportedPlan:
    phantom: Phantom
    dose_gy: np.ndarray
    beams: list[Beam]
    beamlets: Beamlets
    weights: np.ndarray
    identity: StudyIdentity
    files: dict[str, list[Path]]


def small_plan() -> tuple[Phantom, np.ndarray, list[Beam], Beamlets, np.ndarray]:
    phantom = c_shape_phantom(spacing_mm=(6.0, 5.0, 4.0), noise_hu=20.0, seed=3)
    grid = DoseGrid(
        phantom.relative_electron_density().astype(np.float64),
        phantom.spacing_mm,
        phantom.origin_mm,
    )
    iso = np.array([6.0, -5.0, 2.0])  # (z, y, x): no symmetry hides an axis swap
    beams = [Beam.from_angles(iso, g) for g in (0.0, 72.0, 144.0, 216.0, 288.0)]
    beams.append(Beam.from_direction(iso, np.array([-0.5, 0.7, 0.3])))  # robotic, 800 mm
    beamlets = pencil_beamlets(beams, grid, phantom.mask_of("PTV"), bixel_mm=10.0)
    weights = np.random.default_rng(7).uniform(0.0, 2.0, len(beamlets))
    weights[::5] = 0.0
    dose = np.asarray(influence_matrix(grid, beams, beamlets) @ weights).reshape(phantom.shape)
    return phantom, dose, beams, beamlets, weights


@pytest.fixture(autouse=True, scope="session")
def strict_pydicom() -> Iterator[None]:
    """Values that break their VR (length, characters) raise instead of warning."""
    before = config.settings.writing_validation_mode
    config.settings.writing_validation_mode = config.RAISE
    yield
    config.settings.writing_validation_mode = before


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> ExportedPlan:
    phantom, dose, beams, beamlets, weights = small_plan()
    identity = StudyIdentity(plan_id="c-shape-test", seed=11)
    files = export_study(
        tmp_path_factory.mktemp("study"),
        phantom,
        dose,
        beams,
        beamlets,
        weights,
        identity=identity,
        prescription_gy=50.0,
        n_fractions=25,
    )
    return ExportedPlan(phantom, dose, beams, beamlets, weights, identity, files)
