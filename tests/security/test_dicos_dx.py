"""DICOS DX scans: read as the detector's transmission, whatever order, pitch or encoding the
file uses; refused, naming the file and the reason, where its values are not transmission."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import (
    DICOSCTImageStorage,
    DICOSDigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    JPEGLSLossless,
)

from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.dicos_dx import (
    DicosInputError,
    dx_scan_files,
    read_dx,
    read_scan,
    resample,
)
from yangcheng.security.physics import HIGH, LOW, DualEnergyImage
from yangcheng.security.scanner_profile import fit_profile
from yangcheng.security.wedge_table import simulate_wedge_table

FIELDS = ["a", "b"]


@pytest.fixture(scope="module")
def bag() -> DualEnergyImage:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 2).scan(1)
    return image


@pytest.fixture(scope="module")
def files(bag: DualEnergyImage) -> tuple[bytes, bytes]:
    return dx_scan_files(bag, ooi_id="BAG-1")


def _edited(data: bytes, edit: Callable[[Dataset], None]) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(data))
    edit(ds)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_a_written_scan_reads_back_as_its_transmission(
    bag: DualEnergyImage, files: tuple[bytes, bytes]
) -> None:
    scan = read_scan([files[1], files[0]], FIELDS)  # high first: sorted by Image Type
    assert (scan.low.energy, scan.high.energy) == ("low", "high")
    assert (scan.low.field, scan.high.field) == ("b", "a")
    assert scan.low.pixel_mm == (1.5, 1.5) and scan.low.ooi_id == "BAG-1"
    assert scan.low.study_uid == scan.high.study_uid
    image, scale = scan.to_reference()
    assert scale == (1.0, 1.0)
    np.testing.assert_allclose(image.low, np.clip(bag.low, 1e-5, 1), atol=1 / 65535)
    np.testing.assert_allclose(image.high, np.clip(bag.high, 1e-5, 1), atol=1 / 65535)


def test_energy_falls_back_to_the_tube_voltage(files: tuple[bytes, bytes]) -> None:
    def plain(ds: Dataset) -> None:
        ds.ImageType = ["ORIGINAL", "PRIMARY"]

    low, high = (_edited(f, plain) for f in files)
    scan = read_scan([high, low], FIELDS)
    assert (scan.low.kvp, scan.high.kvp) == (80.0, 160.0) and scan.low.field == "b"

    def same_kvp(ds: Dataset) -> None:
        plain(ds)
        ds.KVP = "120"

    with pytest.raises(DicosInputError, match="cannot tell which image is the low energy"):
        read_scan([_edited(f, same_kvp) for f in files], FIELDS)


def test_a_finer_pitch_is_resampled_and_keeps_its_attenuation(bag: DualEnergyImage) -> None:
    fine = resample(bag, (1.5, 1.5), 0.75)
    assert fine.low.shape == (1024, 1024)
    scan = read_scan(list(dx_scan_files(fine, ooi_id="x", pixel_mm=0.75)), FIELDS)
    image, scale = scan.to_reference()
    assert image.low.shape == (512, 512) and scale == (2.0, 2.0)
    a_back, a_bag = -np.log(image.high), -np.log(np.clip(bag.high, 1e-5, 1))
    assert abs(a_back.mean() - a_bag.mean()) < 0.01 * a_bag.mean()


def test_jpeg_ls_compressed_files_read_the_same(files: tuple[bytes, bytes]) -> None:
    def compress(ds: Dataset) -> None:
        ds.compress(JPEGLSLossless, encoding_plugin="pyjpegls")

    plain = read_dx(files[0], "a")
    packed = read_dx(_edited(files[0], compress), "a")
    np.testing.assert_array_equal(packed.transmission, plain.transmission)


def test_inverted_values_are_read_as_the_file_says(files: tuple[bytes, bytes]) -> None:
    plain = read_dx(files[0], "a")

    def invert(ds: Dataset) -> None:
        ds.PixelData = (65535 - ds.pixel_array).astype("<u2").tobytes()
        ds.PixelIntensityRelationshipSign = -1
        ds.PhotometricInterpretation = "MONOCHROME1"

    flipped = read_dx(_edited(files[0], invert), "a")
    np.testing.assert_allclose(flipped.transmission, plain.transmission, atol=2e-5)


def test_a_plain_dicom_dx_for_processing_is_read(files: tuple[bytes, bytes]) -> None:
    def dicom(ds: Dataset) -> None:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForProcessing

    assert read_dx(_edited(files[0], dicom), "a").energy == "low"


def _set(**values: object) -> Callable[[Dataset], None]:
    def edit(ds: Dataset) -> None:
        for key, value in values.items():
            setattr(ds, key, value)
        if "SOPClassUID" in values:
            ds.file_meta.MediaStorageSOPClassUID = values["SOPClassUID"]

    return edit


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_set(SOPClassUID=DICOSDigitalXRayImageStorageForPresentation), "For Presentation"),
        (_set(SOPClassUID=DICOSCTImageStorage), "a DICOS CT volume"),
        (_set(SOPClassUID="1.2.840.10008.5.1.4.1.1.2"), "not a DX image For Processing"),
        (_set(PixelIntensityRelationship="LOG"), "log of the beam"),
        (_set(SamplesPerPixel=3), "samples per pixel"),
        (_set(NumberOfFrames=2), "holds 2 frames"),
    ],
)
def test_files_whose_values_are_not_transmission_are_refused(
    files: tuple[bytes, bytes], edit: Callable[[Dataset], None], words: str
) -> None:
    with pytest.raises(DicosInputError, match=words) as err:
        read_dx(_edited(files[0], edit), "dicos_base64[0]")
    assert err.value.field == "dicos_base64[0]"


def test_a_malformed_value_is_refused_naming_the_file(files: tuple[bytes, bytes]) -> None:
    kvp = b"\x18\x00\x60\x00DS\x02\x00"  # (0018,0060) KVP, DS, 2 bytes: "80"
    assert files[0].count(kvp + b"80") == 1
    with pytest.raises(DicosInputError, match="does not parse") as err:
        read_dx(files[0].replace(kvp + b"80", kvp + b"8x"), "dicos_base64[0]")
    assert err.value.field == "dicos_base64[0]"


def test_broken_files_are_refused(files: tuple[bytes, bytes]) -> None:
    with pytest.raises(DicosInputError, match="not a DICOS/DICOM file"):
        read_dx(b"\x89PNG\r\n\x1a\n" + b"\0" * 300, "a")
    with pytest.raises(DicosInputError, match="pixel data cannot be decoded"):
        read_dx(files[0][: len(files[0]) // 2], "a")
    with pytest.raises(DicosInputError, match="truncated"):
        read_dx(files[0][:200], "a")


def test_a_scan_needs_one_image_of_each_energy(files: tuple[bytes, bytes]) -> None:
    with pytest.raises(DicosInputError, match="only the low energy image"):
        read_scan([files[0]], ["a"])
    with pytest.raises(DicosInputError, match="is a low energy image like a"):
        read_scan([files[0], files[0]], FIELDS)


def test_the_two_images_must_be_of_one_scan(files: tuple[bytes, bytes]) -> None:
    other = dx_scan_files(
        DualEnergyImage(low=np.full((64, 96), 0.5), high=np.full((64, 96), 0.7)), ooi_id="x"
    )
    with pytest.raises(DicosInputError, match="the two must be the same size"):
        read_scan([files[0], other[1]], FIELDS)
    moved = _edited(files[1], _set(StudyInstanceUID="1.2.3"))
    with pytest.raises(DicosInputError, match="belongs to another scan"):
        read_scan([files[0], moved], FIELDS)


def test_without_a_pitch_only_a_scanner_profile_can_read_it(files: tuple[bytes, bytes]) -> None:
    def no_pitch(ds: Dataset) -> None:
        del ds.PixelSpacing, ds.ImagerPixelSpacing

    scan = read_scan([_edited(f, no_pitch) for f in files], FIELDS)
    with pytest.raises(DicosInputError, match="neither Pixel Spacing nor Imager Pixel Spacing"):
        scan.to_reference()
    steps = simulate_wedge_table((LOW, HIGH))
    profile = fit_profile(steps, "lane-1")
    image, scale = scan.to_reference(profile)
    assert image.low.shape == (512, 512) and scale == (1.0, 1.0)
    coarse = fit_profile(steps, "lane-2", pixel_mm=(1.0, 1.25))
    with pytest.raises(DicosInputError, match=r"fitted at 1 x 1\.25 mm"):
        read_scan(list(files), FIELDS).to_reference(coarse)
