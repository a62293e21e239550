"""Identity checks: document numbers, document photos, faces, liveness, voice and speech."""

from yangcheng.finance.identity.documents import (
    CheckResult,
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
)
from yangcheng.finance.identity.face import (
    MATCH_THRESHOLD,
    Face,
    FaceAnalyzer,
    FaceMatch,
    NoFaceFound,
    face_distance,
    match,
)
from yangcheng.finance.identity.liveness import (
    ChallengeResult,
    FrameObservation,
    LivenessReport,
    OnnxSpoofDetector,
    SpoofDetector,
    check_liveness,
    observe,
)
from yangcheng.finance.identity.photo import FaceBox, PhotoQuality, assess_photo, decode_image
from yangcheng.finance.identity.speaker import (
    SAME_SPEAKER_THRESHOLD,
    SpeakerTurn,
    VoiceEncoder,
    diarize,
    verify,
)
from yangcheng.finance.identity.speech import (
    Recognizer,
    ScriptCoverage,
    Word,
    find_phrase,
    script_coverage,
)
from yangcheng.finance.identity.speech_pocketsphinx import PocketSphinxRecognizer
from yangcheng.finance.identity.transcript import TranscriptError, TranscriptRecognizer
from yangcheng.finance.identity.voice import (
    AudioError,
    AudioQuality,
    Segment,
    assess_audio,
    read_wav,
    speech_segments,
    to_mono_16k,
)

__all__ = [
    "MATCH_THRESHOLD",
    "SAME_SPEAKER_THRESHOLD",
    "AudioError",
    "AudioQuality",
    "ChallengeResult",
    "CheckResult",
    "Face",
    "FaceAnalyzer",
    "FaceBox",
    "FaceMatch",
    "FrameObservation",
    "LivenessReport",
    "NoFaceFound",
    "OnnxSpoofDetector",
    "PhotoQuality",
    "PocketSphinxRecognizer",
    "Recognizer",
    "ScriptCoverage",
    "Segment",
    "SpeakerTurn",
    "SpoofDetector",
    "TranscriptError",
    "TranscriptRecognizer",
    "VoiceEncoder",
    "Word",
    "assess_audio",
    "assess_photo",
    "check_bank_card",
    "check_liveness",
    "check_mobile",
    "check_resident_id",
    "check_uscc",
    "decode_image",
    "diarize",
    "face_distance",
    "find_phrase",
    "match",
    "observe",
    "read_wav",
    "script_coverage",
    "speech_segments",
    "to_mono_16k",
    "verify",
]
