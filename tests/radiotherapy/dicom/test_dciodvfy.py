"""David Clunie's DICOM validator (dicom3tools' dciodvfy) finds no error in the study.

It checks each IOD's required modules, attributes and enumerated values, which pydicom does
not. The RT Dose file is left out: dciodvfy (2022 release) stops on an internal assertion for
any 32-bit multi-frame pixel data, ours or not, so it cannot judge it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.radiotherapy.dicom.conftest import ExportedPlan

DCIODVFY = shutil.which("dciodvfy")


@pytest.mark.skipif(DCIODVFY is None, reason="dicom3tools' dciodvfy is not installed")
@pytest.mark.parametrize("modality", ["CT", "RTSTRUCT", "RTPLAN"])
def test_validator_finds_no_error(exported: ExportedPlan, modality: str) -> None:
    assert DCIODVFY is not None
    path = exported.files[modality][0]
    run = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)
    report = run.stdout + run.stderr
    errors = [line for line in report.splitlines() if line.startswith("Error")]
    assert not errors, report
    iod = {"CT": "CTImage", "RTSTRUCT": "RTStructureSet", "RTPLAN": "RTPlan"}[modality]
    assert iod in report  # it recognised the IOD it was checking
