"""Reading a recording's pictures and sound through Debian's ffmpeg.

Bank recordings arrive as MP4 (H.264 + AAC) from many capture systems; ffmpeg decodes all of
them, so nothing here depends on a Python codec binding. Frames are decoded at a reduced rate and
size straight out of ffmpeg (pixels the checks would throw away are never copied into Python),
and sound comes back as 16 kHz mono, the rate every voice model here expects.

Every failure is a `MediaError` naming the file and what ffmpeg said, so a corrupt upload is
refused with a reason instead of a half-finished report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MediaError", "MediaInfo", "probe", "read_audio", "read_frames"]

AUDIO_RATE_HZ = 16_000
_TIMEOUT_S = 600


class MediaError(ValueError):
    """A recording that cannot be read: missing, corrupt, unsupported, or without a stream."""


@dataclass(frozen=True)
class MediaInfo:
    """What the container declares; `duration_s` is the longest stream's."""

    path: Path
    format_name: str
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int
    height: int
    fps: float
    video_codec: str | None
    audio_codec: str | None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MediaError(f"{name} is not installed (Debian package 'ffmpeg'); run `make media`")
    return found


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def _rate(text: str | None) -> float:
    if not text or text in {"0/0", "N/A"}:
        return 0.0
    num, _, den = text.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def probe(path: str | Path) -> MediaInfo:
    """The streams of `path`; MediaError if it is missing or not a media file ffmpeg can read."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")
    cmd = [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format"]
    cmd += ["-show_streams", str(path)]
    done = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise MediaError(f"{path.name}: not a readable media file ({_last_line(done.stderr)})")
    info = json.loads(done.stdout or b"{}")
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaError(f"{path.name}: holds no video or audio stream")
    durations = [float(s["duration"]) for s in streams if s.get("duration") not in (None, "N/A")]
    fmt = info.get("format", {})
    if fmt.get("duration") not in (None, "N/A"):
        durations.append(float(fmt["duration"]))
    return MediaInfo(
        path=path,
        format_name=str(fmt.get("format_name", "")),
        duration_s=max(durations, default=0.0),
        has_video=video is not None,
        has_audio=audio is not None,
        width=int(video.get("width", 0)) if video else 0,
        height=int(video.get("height", 0)) if video else 0,
        fps=_rate(video.get("avg_frame_rate") or video.get("r_frame_rate")) if video else 0.0,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
    )


def _scaled_size(info: MediaInfo, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(info.width, info.height))
    # even sizes: some pixel paths of ffmpeg's scaler insist on them
    return max(2, int(info.width * scale) // 2 * 2), max(2, int(info.height * scale) // 2 * 2)


def read_frames(
    info: MediaInfo, fps: float, max_side: int = 640
) -> Iterator[tuple[float, np.ndarray]]:
    """(time_s, RGB uint8 frame) at `fps`, scaled so the longer side is at most `max_side`.

    Frames stream from ffmpeg one at a time, so a long recording never sits in memory whole.
    """
    if not info.has_video:
        raise MediaError(f"{info.path.name}: has no video stream")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    width, height = _scaled_size(info, max_side)
    cmd = [_tool("ffmpeg"), "-v", "error", "-nostdin", "-i", str(info.path), "-an"]
    cmd += ["-vf", f"fps={fps},scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    frame_bytes = width * height * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    index = 0
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            yield index / fps, np.frombuffer(buf, np.uint8).reshape(height, width, 3)
            index += 1
        stderr = proc.stderr.read()
        if proc.wait(timeout=_TIMEOUT_S) != 0 or (index == 0 and info.duration_s > 0):
            raise MediaError(f"{info.path.name}: video could not be decoded ({_last_line(stderr)})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def read_audio(info: MediaInfo) -> np.ndarray:
    """The sound as float32 16 kHz mono in [-1, 1]; an empty array when there is no audio."""
    if not info.has_audio:
        return np.zeros(0, np.float32)
    cmd = [_tool("ffmpeg"), "-v", "error", "-nostdin", "-i", str(info.path), "-vn"]
    cmd += ["-ac", "1", "-ar", str(AUDIO_RATE_HZ), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    done = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise MediaError(
            f"{info.path.name}: audio could not be decoded ({_last_line(done.stderr)})"
        )
    return np.frombuffer(done.stdout, np.int16).astype(np.float32) / 32768.0
