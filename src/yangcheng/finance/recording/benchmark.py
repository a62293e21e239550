"""`yangcheng bench identity`: latency of each identity check and QC time per minute of video.

Everything runs on synthetic media built from public-domain portraits and espeak-ng speech
(`recording.synthetic`), so the figures are reproducible on any machine with Debian's ffmpeg
and espeak-ng. Besides speed, every synthetic scenario is inspected and its failed rules
compared with the ones it was built to fail, so a regression in any detector shows up here.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yangcheng.finance.identity.documents import check_resident_id
from yangcheng.finance.identity.face import FaceAnalyzer
from yangcheng.finance.identity.liveness import observe
from yangcheng.finance.identity.photo import assess_photo
from yangcheng.finance.identity.sample_faces import compose_frame, customer_portrait
from yangcheng.finance.identity.sample_speech import (
    CONSENT_PHRASES_EN,
    DISCLOSURE_SCRIPT_EN,
    speak,
)
from yangcheng.finance.identity.speaker import VoiceEncoder
from yangcheng.finance.identity.speech_pocketsphinx import PocketSphinxRecognizer
from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, assess_audio
from yangcheng.finance.recording.checklist import default_checklist
from yangcheng.finance.recording.inspect import InspectionConfig, inspect_recording
from yangcheng.finance.recording.synthetic import SCENARIOS, build_recording

__all__ = ["flat_metrics"]


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: models load on first use
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def flat_metrics(quick: bool) -> dict[str, Any]:
    repeat = 5 if quick else 20
    metrics: dict[str, Any] = {}
    analyzer = FaceAnalyzer()
    portrait = customer_portrait()
    frame = compose_frame([portrait], seed=0)
    faces = analyzer.detect(frame)
    metrics["id_number_check_ms"] = _median_ms(
        lambda: check_resident_id("11010519491231002X"), repeat
    )
    metrics["photo_quality_ms"] = _median_ms(lambda: assess_photo(portrait), repeat)
    metrics["face_detect_640x360_ms"] = _median_ms(lambda: analyzer.detect(frame), repeat)
    metrics["face_embed_ms"] = _median_ms(lambda: analyzer.embed(frame, faces[0]), repeat)
    metrics["liveness_observe_ms"] = _median_ms(lambda: observe(analyzer, frame, 0.0), repeat)

    speech = speak(DISCLOSURE_SCRIPT_EN)
    seconds = len(speech) / SAMPLE_RATE_HZ
    metrics["speech_sample_s"] = seconds
    metrics["audio_quality_ms_per_min"] = _median_ms(lambda: assess_audio(speech), 3) * 60 / seconds
    with tempfile.TemporaryDirectory(prefix="yc-bench-id-") as tmp:
        t0 = time.perf_counter()
        encoder = VoiceEncoder(cache_dir=Path(tmp) / "models")  # exports to ONNX: torch loads
        encoder.embed(speech)
        metrics["voice_encoder_first_use_s"] = time.perf_counter() - t0
        metrics["voice_embed_ms_per_s"] = _median_ms(lambda: encoder.embed(speech), 3) / seconds
        recognizer = PocketSphinxRecognizer()
        asr_ms = _median_ms(
            lambda: recognizer.transcribe(speech, expected=[DISCLOSURE_SCRIPT_EN]), 3
        )
        metrics["asr_real_time_factor"] = asr_ms / 1000 / seconds

        reference = analyzer.embed(portrait, analyzer.detect(portrait)[0])
        checklist = default_checklist()
        names = ["good"] if quick else list(SCENARIOS)
        correct = 0
        mistakes: dict[str, list[str]] = {}
        qc_s_per_min: list[float] = []
        for name in names:
            spec = SCENARIOS[name]
            path = build_recording(spec, Path(tmp) / f"{name}.mp4")
            config = InspectionConfig(
                script=DISCLOSURE_SCRIPT_EN, consent_phrases=CONSENT_PHRASES_EN
            )
            t0 = time.perf_counter()
            report = inspect_recording(
                path,
                config,
                checklist,
                analyzer=analyzer,
                encoder=encoder,
                recognizer=recognizer,
                reference_face=reference,
            )
            elapsed = time.perf_counter() - t0
            qc_s_per_min.append(elapsed / report.metrics["duration_s"] * 60)
            failed = {r.id for r in report.rules if not r.passed}
            if failed != spec.expect_failed:
                mistakes[name] = sorted(failed ^ spec.expect_failed)
            correct += failed == spec.expect_failed
            metrics[f"scenario_{name}_ok"] = float(failed == spec.expect_failed)
        metrics["qc_s_per_video_min"] = statistics.median(qc_s_per_min)
        metrics["scenarios_correct"] = float(correct)
        metrics["scenarios"] = float(len(names))
        if mistakes:  # rule ids wrongly failed or wrongly passed, per scenario
            metrics["scenario_mismatches"] = mistakes
    return metrics
