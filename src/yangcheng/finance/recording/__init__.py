"""Dual-recording (双录) quality inspection: media decoding, the QC checklist, the inspection."""

from yangcheng.finance.recording.checklist import (
    Checklist,
    ChecklistError,
    RuleVerdict,
    default_checklist,
    load_checklist,
)
from yangcheng.finance.recording.inspect import InspectionConfig, QCReport, inspect_recording
from yangcheng.finance.recording.media import MediaError, MediaInfo, probe, read_audio, read_frames

__all__ = [
    "Checklist",
    "ChecklistError",
    "InspectionConfig",
    "MediaError",
    "MediaInfo",
    "QCReport",
    "RuleVerdict",
    "default_checklist",
    "inspect_recording",
    "load_checklist",
    "probe",
    "read_audio",
    "read_frames",
]
