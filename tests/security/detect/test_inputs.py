from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.detect.inputs import (
    DETAIL_CHANNEL,
    INPUT_CHANNELS,
    DetectorInputError,
    input_channels,
    network_input,
    takes_detail,
    transmission,
    with_input_channels,
)
from yangcheng.security.materials import material
from yangcheng.security.physics import transmit


def _pair(size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    thickness = np.zeros((size, size, 2))
    thickness[30:90, 40:100, 0] = 2.0  # water
    thickness[60:70, 10:120, 1] = 0.3  # steel bar
    image = transmit(thickness, [material("water"), material("steel")])
    return image.low, image.high


def test_the_network_sees_attenuation_and_zeff_at_half_resolution() -> None:
    low, high = _pair()
    x = network_input(low, high)
    assert x.shape == (3, 64, 64) and x.dtype == np.float32
    assert np.all(x[:, :5, :5] == 0)  # open beam: no attenuation, no material
    assert x[0, 25, 35] > x[1, 25, 35] > 0  # low energy attenuated more than high
    water_z, steel_z = x[2, 25, 35] * 25 + 5, x[2, 32, 10] * 25 + 5
    assert 6.5 < water_z < 9 and steel_z > 20


def test_uint16_and_float_transmission_agree() -> None:
    low, high = _pair()
    as_u16 = [np.round(t * 65535).astype(np.uint16) for t in (low, high)]
    assert np.allclose(network_input(*as_u16), network_input(low, high), atol=2e-3)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((128, 128, 3), np.uint8), "colour image"),
        (np.ones((32, 128)), "each side must be"),
        (np.full((128, 128), np.nan), "NaN"),
        (np.full((128, 128), 3.0), "must lie in 0..1"),
        (np.ones((128, 128), np.int32), "pixel type int32"),
        (np.ones((128,)), "2-D"),
    ],
)
def test_bad_images_are_refused_naming_the_problem(image: np.ndarray, words: str) -> None:
    with pytest.raises(DetectorInputError, match=words) as err:
        transmission(image, "low")
    assert err.value.field == "low"


def test_the_two_energies_must_be_the_same_size() -> None:
    with pytest.raises(DetectorInputError, match="same size") as err:
        network_input(np.ones((128, 128)), np.ones((128, 96)))
    assert err.value.field == "high"


def test_swapped_energies_are_refused() -> None:
    low, high = _pair()
    network_input(low, high)
    with pytest.raises(DetectorInputError, match="look swapped"):
        network_input(high, low)


def test_the_detail_channel_keeps_what_halving_averages_away() -> None:
    """A steel edge one scanner pixel wide: halving spreads it over a 2x2 block, the detail
    channel keeps how far its peak stood above the block's mean; a uniform slab has none."""
    thickness = np.zeros((128, 128, 2))
    thickness[20:100, 64, 0] = 0.05  # a 0.5 mm blade edge-on, one 1.5 mm column
    thickness[20:100, 90:120, 1] = 3.0  # a 30 mm water slab
    image = transmit(thickness, [material("steel"), material("water")])
    plain = network_input(image.low, image.high)
    detailed = network_input(image.low, image.high, detail=True)
    assert detailed.shape == (4, 64, 64)
    np.testing.assert_array_equal(detailed[:3], plain)
    block = -np.log(image.low[50:52, 64:66])
    assert detailed[3, 25, 32] == pytest.approx(block.max() - block.mean(), rel=1e-3)
    assert plain[0, 25, 32] * 5 == pytest.approx(block.mean(), rel=1e-3)
    assert detailed[3, 25, 32] > 0.5 * plain[0, 25, 32] * 5  # the peak stands well above
    assert np.all(detailed[3] >= 0) and np.all(detailed[3, :, :30] == 0)
    slab = detailed[3, 20:40, 50:55]
    assert slab.max() < 0.02 < plain[0, 20:40, 50:55].min() * 5


def test_a_card_names_one_of_the_known_input_layouts() -> None:
    assert input_channels(False) == INPUT_CHANNELS
    assert input_channels(True) == (*INPUT_CHANNELS, DETAIL_CHANNEL)
    assert not takes_detail(list(INPUT_CHANNELS)) and takes_detail(input_channels(True))
    with pytest.raises(ValueError, match="not a known layout"):
        takes_detail(["low attenuation / 5"])


def test_a_widened_first_convolution_reads_the_new_channels_as_nothing() -> None:
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(24, 3, 3, 3)).astype(np.float32)
    wide = with_input_channels(weight, 4)
    assert wide.shape == (24, 4, 3, 3) and wide.dtype == np.float32
    np.testing.assert_array_equal(wide[:, :3], weight)
    assert not wide[:, 3].any()
    np.testing.assert_array_equal(with_input_channels(weight, 3), weight)
    with pytest.raises(ValueError, match=r"\(24, 3, 3, 3\) to 2 inputs"):
        with_input_channels(weight, 2)
    with pytest.raises(ValueError, match="shape"):
        with_input_channels(weight[0], 4)
