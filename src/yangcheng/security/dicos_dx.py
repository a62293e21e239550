"""Dual-energy X-ray images in DICOS, the security scanners' standard file format.

Screening sites exchange scans as DICOS (NEMA IIC 1, "Digital Imaging and Communications in
Security"), which is DICOM with security modules: a baggage line's projection X-ray arrives as
Digital X-Ray (DX) images, one per energy, and an automatic threat recognition (ATR) answers
with a Threat Detection Report (``dicos_tdr``). This module reads a scan's two DX images into
what the detector takes, and writes a simulated bag the same way, so a site can try the
detector on its own files and an integrator can test against the simulator.

What a DX image's numbers mean is in the file, and is read from it rather than assumed:

- *For Processing* images only. A *For Presentation* image has been processed for display
  (windowing, edge enhancement), so its values are no longer transmission; it is refused.
- Pixel Intensity Relationship ``LIN`` (values proportional to the detected beam) with its
  sign; ``LOG`` images are refused, because the file does not carry the log's scale. Without
  the attribute, the photometric interpretation decides (``MONOCHROME2``: bright is more
  beam). The full scale of the stored bits is the open beam. (A DX image's rescale is the
  identity by definition, so the stored values are the values.)
- Which image is which energy: DICOS names the image characteristics ``HIGH ENERGY`` and
  ``LOW ENERGY`` in Image Type; a file that does not falls back to its tube voltage (KVP), the
  lower being the low energy.
- The pixel pitch comes from Pixel Spacing, or Imager Pixel Spacing, and the images are
  resampled (as attenuation, which adds along a path) to the detector's 1.5 mm.

Through a scanner profile (``scanner_profile``) the values are instead that scanner's raw
counts and the profile's pitch applies, as for PNG input; the file's own pitch must agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import cv2
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    DICOSCTImageStorage,
    DICOSDigitalXRayImageStorageForPresentation,
    DICOSDigitalXRayImageStorageForProcessing,
    DICOSThreatDetectionReportStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    ExplicitVRLittleEndian,
    generate_uid,
)

from yangcheng.security.detect.inputs import DetectorInputError
from yangcheng.security.physics import HIGH, LOW, DualEnergyImage
from yangcheng.security.scanner_profile import REFERENCE_PIXEL_MM, ScannerProfile

__all__ = [
    "DicosInputError",
    "DxImage",
    "DxScan",
    "dx_scan_files",
    "file_bytes",
    "new_instance",
    "read_dx",
    "read_scan",
    "resample",
]

Energy = Literal["low", "high"]
_PROCESSING = (DICOSDigitalXRayImageStorageForProcessing, DigitalXRayImageStorageForProcessing)
_PRESENTATION = (
    DICOSDigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForPresentation,
)
_OTHER_KINDS: dict[str, str] = {
    DICOSCTImageStorage: "a DICOS CT volume",
    DICOSThreatDetectionReportStorage: "a DICOS Threat Detection Report",
}
_MIN_TRANSMISSION = 1e-5
_PITCH_TOLERANCE = 0.02


class DicosInputError(DetectorInputError):
    """A DICOS file the detector cannot take, naming the file and what is wrong with it."""


@dataclass(frozen=True)
class DxImage:
    """One energy's DX image as read: the stored values and what the file says of them."""

    field: str
    values: np.ndarray
    """Stored pixel values as float64 (raw counts, for a scanner profile)."""
    transmission: np.ndarray
    """The fraction of the open beam per pixel, (0, 1], float32."""
    energy: Energy | None
    """From Image Type; None when the file does not name it."""
    kvp: float | None
    pixel_mm: tuple[float, float] | None
    """(across columns, down rows), as a scanner profile's pitch."""
    sop_class_uid: str
    sop_instance_uid: str
    study_uid: str | None
    frame_of_reference_uid: str | None
    ooi_id: str | None
    """The object of inspection's id (DICOS keeps it where DICOM keeps the patient's)."""


@dataclass(frozen=True)
class DxScan:
    """A bag's two DX images, sorted by energy."""

    low: DxImage
    high: DxImage

    @property
    def shape(self) -> tuple[int, int]:
        return self.low.transmission.shape

    def to_reference(
        self, profile: ScannerProfile | None = None
    ) -> tuple[DualEnergyImage, tuple[float, float]]:
        """The bag as the detector takes it (transmission at 1.5 mm), and the file's pixels
        per detector pixel along (columns, rows), to carry boxes back to the file's grid."""
        h, w = self.shape
        if profile is not None:
            pitch = self.low.pixel_mm
            fitted = profile.pixel_mm
            if pitch is not None and not all(
                abs(p - q) <= _PITCH_TOLERANCE * q for p, q in zip(pitch, fitted, strict=True)
            ):
                raise DicosInputError(
                    self.low.field,
                    f"has {pitch[0]:g} x {pitch[1]:g} mm pixels but scanner "
                    f"{profile.name!r} was fitted at {profile.pixel_mm[0]:g} x "
                    f"{profile.pixel_mm[1]:g} mm: not that scanner's images",
                )
            image = profile.to_reference(self.low.values, self.high.values)
        else:
            pitch = self.low.pixel_mm
            if pitch is None:
                raise DicosInputError(
                    self.low.field,
                    "has neither Pixel Spacing nor Imager Pixel Spacing: the detector needs "
                    "the pixel size (or name the scanner's profile, which knows it)",
                )
            image = resample(
                DualEnergyImage(low=self.low.transmission, high=self.high.transmission), pitch
            )
        out_h, out_w = image.low.shape
        return image, (w / out_w, h / out_h)


def resample(
    image: DualEnergyImage,
    from_mm: tuple[float, float],
    to_mm: float = REFERENCE_PIXEL_MM,
) -> DualEnergyImage:
    """The bag at another pitch (``from_mm`` across columns, down rows), resampled as
    attenuation, which adds along a path, so a region keeps its reading."""
    h, w = image.low.shape
    size = (max(round(w * from_mm[0] / to_mm), 1), max(round(h * from_mm[1] / to_mm), 1))
    if size == (w, h):
        return image
    method = cv2.INTER_AREA if size[0] * size[1] < w * h else cv2.INTER_LINEAR
    low, high = (
        np.exp(-cv2.resize(-np.log(np.asarray(t, np.float32)), size, interpolation=method))
        for t in (image.low, image.high)
    )
    return DualEnergyImage(low=low.astype(np.float32), high=high.astype(np.float32))


def _parse(data: bytes, field: str) -> Dataset:
    try:
        return pydicom.dcmread(io.BytesIO(data))
    except InvalidDicomError:
        raise DicosInputError(
            field, "is not a DICOS/DICOM file (no 'DICM' after the 128-byte preamble)"
        ) from None
    except Exception as exc:  # pydicom raises many kinds on a truncated or corrupt file
        raise DicosInputError(field, f"does not parse as DICOS/DICOM ({exc})") from None


def _pitch(ds: Dataset) -> tuple[float, float] | None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        spacing = ds.get(keyword)
        if spacing is not None and len(spacing) == 2:
            row, col = float(spacing[0]), float(spacing[1])
            if row > 0 and col > 0:
                return col, row
    return None


def _energy(ds: Dataset) -> Energy | None:
    names = {str(v).strip().upper() for v in (ds.get("ImageType") or [])}
    if "LOW ENERGY" in names and "HIGH ENERGY" not in names:
        return "low"
    if "HIGH ENERGY" in names and "LOW ENERGY" not in names:
        return "high"
    return None


def _pixels(ds: Dataset, field: str) -> np.ndarray:
    if "PixelData" not in ds:
        raise DicosInputError(field, "has no pixel data")
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        raise DicosInputError(
            field,
            f"has {ds.SamplesPerPixel} samples per pixel (colour); the detector needs each "
            "energy's single-channel transmission",
        )
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames != 1:
        raise DicosInputError(
            field, f"holds {frames} frames; send one DX image per energy, one frame each"
        )
    try:
        array = ds.pixel_array
    except Exception as exc:  # a missing decoder, or pixel data that does not fit the header
        syntax = ds.file_meta.get("TransferSyntaxUID", "unknown")
        raise DicosInputError(
            field, f"pixel data cannot be decoded (transfer syntax {syntax}): {exc}"
        ) from None
    if array.ndim != 2:
        raise DicosInputError(field, f"pixel data has shape {array.shape}; expected one 2-D image")
    return np.asarray(array)


def _transmission(ds: Dataset, stored: np.ndarray, field: str) -> np.ndarray:
    relationship = str(ds.get("PixelIntensityRelationship", "") or "").strip().upper()
    if relationship == "LOG":
        raise DicosInputError(
            field,
            "stores the log of the beam (Pixel Intensity Relationship LOG), whose scale the "
            "file does not carry; send linear (LIN) counts",
        )
    if relationship not in ("", "LIN"):
        raise DicosInputError(
            field,
            f"has Pixel Intensity Relationship {relationship!r}; only linear (LIN) counts "
            "are transmission",
        )
    sign = ds.get("PixelIntensityRelationshipSign")
    if sign is None:
        photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
        if photometric not in ("MONOCHROME1", "MONOCHROME2"):
            raise DicosInputError(
                field, f"is {photometric}; the detector needs a monochrome image per energy"
            )
        brighter_is_more = photometric == "MONOCHROME2"
    else:
        brighter_is_more = int(sign) > 0
    bits = int(ds.get("BitsStored", 16))
    full = float(2**bits - 1)
    if np.issubdtype(stored.dtype, np.signedinteger) and stored.min() < 0:
        raise DicosInputError(field, "holds negative pixel values; counts cannot be negative")
    fraction = stored.astype(np.float64) / full
    if not brighter_is_more:
        fraction = 1.0 - fraction
    return np.clip(fraction, _MIN_TRANSMISSION, 1.0).astype(np.float32)


def read_dx(data: bytes, field: str) -> DxImage:
    """One DX image (DICOS or DICOM, For Processing), refusing what is not transmission."""
    ds = _parse(data, field)
    try:
        return _dx_image(ds, field)
    except DicosInputError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # pydicom reads values lazily: a malformed one (a KVP of "abc") fails only here.
        raise DicosInputError(field, f"holds a value that does not parse ({exc})") from None


def _dx_image(ds: Dataset, field: str) -> DxImage:
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class in _OTHER_KINDS:
        raise DicosInputError(
            field, f"is {_OTHER_KINDS[sop_class]}; the detector takes DX projection images"
        )
    if sop_class in _PRESENTATION:
        raise DicosInputError(
            field,
            "is a DX image For Presentation, processed for display, so its values are no "
            "longer transmission; send the scanner's For Processing images",
        )
    if not sop_class:
        raise DicosInputError(field, "has no SOP Class UID: a truncated file, or not an image")
    if sop_class not in _PROCESSING:
        raise DicosInputError(
            field,
            f"has SOP class {sop_class}, not a DX image For Processing "
            f"({DICOSDigitalXRayImageStorageForProcessing} in DICOS)",
        )
    stored = _pixels(ds, field)
    kvp = ds.get("KVP")
    return DxImage(
        field=field,
        values=stored.astype(np.float64),
        transmission=_transmission(ds, stored, field),
        energy=_energy(ds),
        kvp=float(kvp) if kvp not in (None, "") else None,
        pixel_mm=_pitch(ds),
        sop_class_uid=sop_class,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        study_uid=str(ds.StudyInstanceUID) if "StudyInstanceUID" in ds else None,
        frame_of_reference_uid=str(ds.FrameOfReferenceUID) if "FrameOfReferenceUID" in ds else None,
        ooi_id=str(ds.PatientID) if ds.get("PatientID") else None,
    )


def _sorted_by_energy(a: DxImage, b: DxImage) -> tuple[DxImage, DxImage]:
    if a.energy is not None and b.energy is not None:
        if a.energy == b.energy:
            raise DicosInputError(
                b.field,
                f"is a {b.energy} energy image like {a.field}; the detector needs one of each",
            )
        return (a, b) if a.energy == "low" else (b, a)
    if a.kvp is not None and b.kvp is not None and a.kvp != b.kvp:
        return (a, b) if a.kvp < b.kvp else (b, a)
    raise DicosInputError(
        b.field,
        "cannot tell which image is the low energy: Image Type names neither HIGH ENERGY nor "
        "LOW ENERGY, and the two do not carry different tube voltages (KVP)",
    )


def read_scan(files: list[bytes], fields: list[str]) -> DxScan:
    """A bag from its two DX files, in either order."""
    if len(files) != 2:
        if len(files) == 1:
            image = read_dx(files[0], fields[0])
            which = f"only the {image.energy} energy image" if image.energy else "one image"
            raise DicosInputError(
                fields[0],
                f"is {which}; the detector needs both energies (a single-energy image cannot "
                "separate materials): send the scan's two DX files",
            )
        raise DicosInputError(fields[0], f"{len(files)} files; send the scan's two DX files")
    low, high = _sorted_by_energy(*(read_dx(f, n) for f, n in zip(files, fields, strict=True)))
    if low.transmission.shape != high.transmission.shape:
        (h1, w1), (h2, w2) = low.transmission.shape, high.transmission.shape
        raise DicosInputError(
            high.field,
            f"is {w2}x{h2} but the low energy is {w1}x{h1}; the two must be the same size",
        )
    if low.study_uid and high.study_uid and low.study_uid != high.study_uid:
        raise DicosInputError(
            high.field, f"belongs to another scan (study {high.study_uid}) than {low.field}"
        )
    return DxScan(low=low, high=high)


def new_instance(sop_class_uid: str, modality: str) -> Dataset:
    """An empty DICOS object of a class, with a new instance UID and the file meta it is
    written with (explicit little endian, which every DICOS reader takes)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    return ds


def file_bytes(ds: Dataset) -> bytes:
    """The object as a DICOS file (preamble, 'DICM', file meta, data set)."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _dx_dataset(
    values: np.ndarray,
    energy: Energy,
    kvp: float,
    *,
    pixel_mm: float,
    study_uid: str,
    series_uid: str,
    frame_uid: str,
    ooi_id: str,
    when: datetime,
) -> Dataset:
    ds = new_instance(DICOSDigitalXRayImageStorageForProcessing, "DX")
    ds.ImageType = ["ORIGINAL", "PRIMARY", f"{energy.upper()} ENERGY"]
    ds.PresentationIntentType = "FOR PROCESSING"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.PatientID = ooi_id  # DICOS: the object of inspection's id
    ds.StudyDate = ds.ContentDate = when.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = when.strftime("%H%M%S")
    ds.Manufacturer = "Yangcheng"
    ds.ManufacturerModelName = "simulated dual-energy line scanner"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1 if energy == "low" else 2
    ds.KVP = f"{kvp:g}"
    ds.PixelSpacing = ds.ImagerPixelSpacing = [f"{pixel_mm:g}", f"{pixel_mm:g}"]
    ds.PixelIntensityRelationship = "LIN"
    ds.PixelIntensityRelationshipSign = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.SamplesPerPixel = 1
    ds.Rows, ds.Columns = values.shape
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(values, dtype="<u2").tobytes()
    return ds


def dx_scan_files(
    image: DualEnergyImage, *, ooi_id: str, pixel_mm: float = REFERENCE_PIXEL_MM
) -> tuple[bytes, bytes]:
    """A bag as a DICOS scan's two DX files (low, high), For Processing, 16-bit linear
    transmission: what a site's scanner would send the detector."""
    when = datetime.now(UTC)
    shared = {
        "pixel_mm": pixel_mm,
        "study_uid": generate_uid(),
        "series_uid": generate_uid(),
        "frame_uid": generate_uid(),
        "ooi_id": ooi_id,
        "when": when,
    }
    out = []
    for energy, channel, t in (("low", LOW, image.low), ("high", HIGH, image.high)):
        counts = np.round(np.clip(np.asarray(t, np.float64), 0.0, 1.0) * 65535.0)
        ds = _dx_dataset(counts.astype(np.uint16), energy, channel.kvp, **shared)  # type: ignore[arg-type]
        out.append(file_bytes(ds))
    return out[0], out[1]
