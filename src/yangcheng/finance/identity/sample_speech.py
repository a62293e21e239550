"""Synthetic speech for tests, demos and calibration, from Debian's ``espeak-ng``.

Recorded customers cannot go into a repository, so the voice checks are
exercised and calibrated on formant-synthesised speech: it is deterministic
(the same text, voice and rate give the same samples), needs no download, and
its voices differ enough for speaker checks. It is far cleaner than a branch
recording, so figures measured on it are upper bounds.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from yangcheng.finance.identity.voice import AudioError, read_wav, to_mono_16k

__all__ = ["CONSENT_PHRASES_EN", "DISCLOSURE_SCRIPT_EN", "speak"]

DISCLOSURE_SCRIPT_EN = (
    "This wealth management product is not a bank deposit and is not protected by deposit "
    "insurance. The principal and the expected return are not guaranteed, and you may lose "
    "part or all of your investment. Please confirm that you have read the product terms and "
    "that this product matches your risk tolerance."
)
"""A risk disclosure the sales staff must read aloud before a wealth-management sale."""

CONSENT_PHRASES_EN: tuple[str, ...] = (
    "yes i understand and i agree",
    "i understand and i agree",
    "i understand and agree",
    "yes i confirm",
    "yes i agree",
    "i confirm",
    "i agree",
)
"""What a customer may say to consent; longer phrases first so the fullest match is reported."""

_PROGRAM = "espeak-ng"
_TIMEOUT_S = 60.0


def speak(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> np.ndarray:
    """Synthesise ``text`` as float32 mono at 16 kHz.

    ``voice`` is any ``espeak-ng -v`` name, with variants after ``+`` (``en-us+f3``).
    The text goes in on stdin, so nothing in it is read as an option.
    """
    if not text.strip():
        raise ValueError("text to speak is empty")
    if not 80 <= words_per_minute <= 450:
        raise ValueError(f"words_per_minute must be within 80-450, got {words_per_minute}")
    program = shutil.which(_PROGRAM)
    if program is None:
        raise RuntimeError(f"{_PROGRAM} is not installed (Debian: apt-get install espeak-ng)")
    proc = subprocess.run(
        [program, "-v", voice, "-s", str(words_per_minute), "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        reason = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise RuntimeError(f"{_PROGRAM} failed for voice {voice!r}: {reason}")
    try:
        samples, rate_hz = read_wav(proc.stdout)
    except AudioError as exc:
        raise RuntimeError(f"{_PROGRAM} wrote unreadable audio for voice {voice!r}: {exc}") from exc
    return to_mono_16k(samples, rate_hz)
