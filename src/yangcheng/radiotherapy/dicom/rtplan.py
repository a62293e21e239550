"""The plan's beams as an RT Plan: IEC angles, isocentre, metersets, fluence and cones.

Each engine `Beam` becomes one STATIC 6 MV photon beam with two control points (the whole
meterset delivered at one gantry / couch / collimator setting). Modulation is not sequenced
into MLC segments (out of scope): the control points hold only jaws around the bixels that
carry fluence, and the optimised fluence travels in a private block (`fluence`). A planning
system that recomputes this plan therefore sees open fields; the RTDOSE carries the dose of
the optimised fluence. Cone beams add an Applicator Sequence item (circular photon
applicator, opening = the cone diameter at the isocentre plane) as well.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import RTPlanStorage, RTStructureSetStorage

from yangcheng.radiotherapy.dicom.base import ds_value, ds_values, new_dataset
from yangcheng.radiotherapy.dicom.errors import InvalidPlanError
from yangcheng.radiotherapy.dicom.fluence import FluenceMap, fluence_map, write_fluence_map
from yangcheng.radiotherapy.dicom.geometry import PATIENT_POSITION, beam_angles, to_patient_mm
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.dicom.meterset import beam_metersets_mu, weights_to_mu
from yangcheng.radiotherapy.dose import ROBOTIC_SAD_MM, Beam, Beamlets

__all__ = ["NOMINAL_ENERGY_MV", "RTPLAN_SERIES_NUMBER", "rt_plan"]

RTPLAN_SERIES_NUMBER = 3
NOMINAL_ENERGY_MV = 6.0


def _check_inputs(
    beams: list[Beam], beamlets: Beamlets, weights: NDArray[np.floating]
) -> NDArray[np.float64]:
    if not beams:
        raise InvalidPlanError("beams: the plan holds no beam")
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(w) != len(beamlets):
        raise InvalidPlanError(f"weights: {len(w)} values for {len(beamlets)} beamlets")
    if not np.all(np.isfinite(w)):
        raise InvalidPlanError(f"weights: {int((~np.isfinite(w)).sum())} non-finite value(s)")
    if len(w) and w.min() < 0:
        raise InvalidPlanError(f"weights: negative weight {w.min():.4g} at {int(w.argmin())}")
    index = np.asarray(beamlets.beam_index)
    if len(index) and (index.min() < 0 or index.max() >= len(beams)):
        raise InvalidPlanError(
            f"beamlets.beam_index: values {int(index.min())}..{int(index.max())} outside "
            f"0..{len(beams) - 1} ({len(beams)} beams)"
        )
    return w


def _jaws_mm(fmap: FluenceMap) -> tuple[tuple[float, float], tuple[float, float]]:
    """X (u) and Y (v) jaw pairs around the bixels that carry fluence (all of them if none)."""
    if fmap.mu.size == 0:
        return (0.0, 0.0), (0.0, 0.0)
    rows, cols = np.nonzero(fmap.mu > 0)
    if len(rows) == 0:
        rows, cols = np.nonzero(np.ones_like(fmap.mu, dtype=bool))
    half = fmap.size_mm / 2.0
    x = (float(fmap.u_mm[cols.min()]) - half, float(fmap.u_mm[cols.max()]) + half)
    y = (float(fmap.v_mm[rows.min()]) - half, float(fmap.v_mm[rows.max()]) + half)
    return x, y


def _device(kind: str, positions: tuple[float, float] | None = None) -> Dataset:
    item = Dataset()
    item.RTBeamLimitingDeviceType = kind
    if positions is None:
        item.NumberOfLeafJawPairs = 1
    else:
        item.LeafJawPositions = ds_values(positions)
    return item


def _applicator(diameter_mm: float, sad_mm: float) -> Dataset:
    geometry = Dataset()
    geometry.ApplicatorApertureShape = "SYM_CIRCULAR"
    geometry.ApplicatorOpening = float(diameter_mm)
    item = Dataset()
    item.ApplicatorID = f"CONE_{diameter_mm:g}MM"[:16]
    item.ApplicatorType = "PHOTON_CIRC"
    item.ApplicatorDescription = f"cone {diameter_mm:g} mm at isocentre, SAD {sad_mm:g} mm"
    item.ApplicatorGeometrySequence = Sequence([geometry])
    return item


def _beam_item(number: int, beam: Beam, fmap: FluenceMap, machine_name: str) -> Dataset:
    angles = beam_angles(beam)
    item = Dataset()
    item.BeamNumber = number
    item.BeamName = f"B{number:03d}"
    item.BeamDescription = (
        f"gantry {angles.gantry_deg:.1f} couch {angles.couch_deg:.1f} "
        f"collimator {angles.collimator_deg:.1f} deg"
    )
    item.BeamType = "STATIC"
    item.RadiationType = "PHOTON"
    item.TreatmentMachineName = machine_name
    item.PrimaryDosimeterUnit = "MU"
    item.SourceAxisDistance = ds_value(beam.sad_mm)
    item.TreatmentDeliveryType = "TREATMENT"
    mode = Dataset()
    mode.FluenceMode = "STANDARD"
    item.PrimaryFluenceModeSequence = Sequence([mode])
    item.BeamLimitingDeviceSequence = Sequence([_device("ASYMX"), _device("ASYMY")])
    item.NumberOfWedges = 0
    item.NumberOfCompensators = 0
    item.NumberOfBoli = 0
    item.NumberOfBlocks = 0
    if fmap.shape == "cone" and fmap.mu.size:
        item.ApplicatorSequence = Sequence([_applicator(fmap.size_mm, beam.sad_mm)])
    item.ReferencedPatientSetupNumber = 1
    item.FinalCumulativeMetersetWeight = "1"
    jaw_x, jaw_y = _jaws_mm(fmap)

    first = Dataset()
    first.ControlPointIndex = 0
    first.NominalBeamEnergy = ds_value(NOMINAL_ENERGY_MV)
    first.BeamLimitingDevicePositionSequence = Sequence(
        [_device("ASYMX", jaw_x), _device("ASYMY", jaw_y)]
    )
    first.GantryAngle = ds_value(angles.gantry_deg)
    first.GantryRotationDirection = "NONE"
    first.BeamLimitingDeviceAngle = ds_value(angles.collimator_deg)
    first.BeamLimitingDeviceRotationDirection = "NONE"
    first.PatientSupportAngle = ds_value(angles.couch_deg)
    first.PatientSupportRotationDirection = "NONE"
    first.TableTopEccentricAngle = "0"
    first.TableTopEccentricRotationDirection = "NONE"
    first.TableTopVerticalPosition = ""
    first.TableTopLongitudinalPosition = ""
    first.TableTopLateralPosition = ""
    first.IsocenterPosition = ds_values(to_patient_mm(beam.isocenter_mm))
    first.CumulativeMetersetWeight = "0"
    last = Dataset()
    last.ControlPointIndex = 1
    last.CumulativeMetersetWeight = "1"
    item.NumberOfControlPoints = 2
    item.ControlPointSequence = Sequence([first, last])
    write_fluence_map(item, fmap, to_patient_mm(beam.u), to_patient_mm(beam.v))
    return item


def rt_plan(
    identity: StudyIdentity,
    beams: list[Beam],
    beamlets: Beamlets,
    weights: NDArray[np.floating],
    *,
    structure_set_uid: str,
    target_roi_number: int | None,
    prescription_gy: float = 50.0,
    n_fractions: int = 25,
    machine_name: str | None = None,
    plan_label: str | None = None,
) -> Dataset:
    """The RTPLAN dataset. ``weights`` give the whole plan's dose (as `fluence.weights`);
    metersets are per fraction. ``target_roi_number`` names the RTSTRUCT ROI that the
    prescription is to (None writes a SITE dose reference)."""
    w = _check_inputs(beams, beamlets, weights)
    if not np.isfinite(prescription_gy) or prescription_gy <= 0:
        raise InvalidPlanError(f"prescription_gy: must be > 0, got {prescription_gy}")
    mu = weights_to_mu(w, n_fractions)
    metersets = beam_metersets_mu(beamlets.beam_index, mu, len(beams))
    if machine_name is None:
        robotic = all(abs(b.sad_mm - ROBOTIC_SAD_MM) < 1.0 for b in beams)
        machine_name = "ROBOTIC_6MV" if robotic else "CARM_6MV"

    ds = new_dataset(
        identity,
        sop_class_uid=RTPlanStorage,
        sop_instance_uid=identity.uid("rtplan"),
        modality="RTPLAN",
        series_uid=identity.uid("rtplan-series"),
        series_number=RTPLAN_SERIES_NUMBER,
        series_description="plan",
    )
    ds.InstanceNumber = 1
    ds.RTPlanLabel = (plan_label or identity.plan_id)[:16]
    ds.RTPlanName = identity.plan_id[:64]
    ds.RTPlanDate = identity.date
    ds.RTPlanTime = identity.time
    ds.RTPlanGeometry = "PATIENT"
    ds.ApprovalStatus = "UNAPPROVED"
    referenced_ss = Dataset()
    referenced_ss.ReferencedSOPClassUID = RTStructureSetStorage
    referenced_ss.ReferencedSOPInstanceUID = structure_set_uid
    ds.ReferencedStructureSetSequence = Sequence([referenced_ss])

    dose_ref = Dataset()
    dose_ref.DoseReferenceNumber = 1
    dose_ref.DoseReferenceUID = identity.uid("dose-reference")
    if target_roi_number is None:
        dose_ref.DoseReferenceStructureType = "SITE"
    else:
        dose_ref.DoseReferenceStructureType = "VOLUME"
        dose_ref.ReferencedROINumber = target_roi_number
    dose_ref.DoseReferenceDescription = "prescription"
    dose_ref.DoseReferenceType = "TARGET"
    dose_ref.TargetPrescriptionDose = ds_value(prescription_gy)
    ds.DoseReferenceSequence = Sequence([dose_ref])

    beam_items, referenced_beams = [], []
    index = np.asarray(beamlets.beam_index)
    for b, beam in enumerate(beams):
        sel = index == b
        fmap = fluence_map(
            beamlets.shape,
            np.asarray(beamlets.u_mm)[sel],
            np.asarray(beamlets.v_mm)[sel],
            np.asarray(beamlets.size_mm)[sel],
            mu[sel],
            b,
        )
        beam_items.append(_beam_item(b + 1, beam, fmap, machine_name))
        ref = Dataset()
        ref.ReferencedBeamNumber = b + 1
        ref.BeamMeterset = ds_value(metersets[b])
        referenced_beams.append(ref)
    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfFractionsPlanned = n_fractions
    group.NumberOfBeams = len(beams)
    group.NumberOfBrachyApplicationSetups = 0
    group.ReferencedBeamSequence = Sequence(referenced_beams)
    ds.FractionGroupSequence = Sequence([group])
    ds.BeamSequence = Sequence(beam_items)
    setup = Dataset()
    setup.PatientSetupNumber = 1
    setup.PatientPosition = PATIENT_POSITION
    ds.PatientSetupSequence = Sequence([setup])
    return ds
