from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.recording.media import MediaError, probe, read_audio, read_frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of 320x240 colour bars at 25 fps with a 440 Hz tone, H.264 + AAC, made by ffmpeg."""
    path = tmp_path_factory.mktemp("media") / "bars.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def test_probe_reports_streams_and_duration(clip: Path) -> None:
    info = probe(clip)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(25)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.video_codec == "h264" and info.audio_codec == "aac"


def test_frames_come_at_the_asked_rate_and_size(clip: Path) -> None:
    frames = list(read_frames(probe(clip), fps=5, max_side=160))
    assert len(frames) == pytest.approx(10, abs=1)
    assert [round(t, 2) for t, _ in frames[:3]] == [0.0, 0.2, 0.4]
    _, first = frames[0]
    assert first.shape == (120, 160, 3) and first.dtype == np.uint8
    assert first.std() > 20  # colour bars, not a blank frame


def test_audio_is_16k_mono_with_the_tone(clip: Path) -> None:
    samples = read_audio(probe(clip))
    assert samples.dtype == np.float32
    assert len(samples) == pytest.approx(32_000, rel=0.05)
    spectrum = np.abs(np.fft.rfft(samples[4000:20000]))
    peak_hz = np.argmax(spectrum) * 16_000 / 16_000
    assert peak_hz == pytest.approx(440, abs=5)


def test_missing_empty_and_corrupt_files_are_named(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(empty)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(MediaError, match=r"junk\.mp4: not a readable media file"):
        probe(junk)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[:2000])
    with pytest.raises(MediaError, match=r"truncated\.mp4"):
        info = probe(truncated)
        list(read_frames(info, fps=5))


def test_audio_only_file_has_no_frames(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(wav)], check=True
    )
    info = probe(wav)
    assert info.has_audio and not info.has_video
    with pytest.raises(MediaError, match="no video stream"):
        list(read_frames(info, fps=5))
    assert len(read_audio(info)) == pytest.approx(16_000, rel=0.05)
