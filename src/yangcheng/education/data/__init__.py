"""Learning logs, their standard file formats, splits, and a student simulator."""

from yangcheng.education.data.assistments import (
    AssistmentsFileError,
    read_assistments_csv,
    write_assistments_csv,
)
from yangcheng.education.data.formats import (
    SequenceFileError,
    read_sequence_file,
    read_sequence_files,
    write_sequence_file,
)
from yangcheng.education.data.logs import (
    LOG_COLUMNS,
    REQUIRED_COLUMNS,
    LogError,
    from_sequences,
    response_numbers,
    to_sequences,
    validate_log,
)
from yangcheng.education.data.presets import (
    PRESETS,
    DatasetPreset,
    SimulatedDataset,
    generate_dataset,
)
from yangcheng.education.data.sequences import KTSequences, SequenceError, StudentSequence
from yangcheng.education.data.simulator import SimulationTruth, StudentSimulator
from yangcheng.education.data.splits import MIN_LENGTH, WINDOW_LENGTH, student_folds, windows
from yangcheng.education.data.vocabulary import sort_ids

__all__ = [
    "LOG_COLUMNS",
    "MIN_LENGTH",
    "PRESETS",
    "REQUIRED_COLUMNS",
    "WINDOW_LENGTH",
    "AssistmentsFileError",
    "DatasetPreset",
    "KTSequences",
    "LogError",
    "SequenceError",
    "SequenceFileError",
    "SimulatedDataset",
    "SimulationTruth",
    "StudentSequence",
    "StudentSimulator",
    "from_sequences",
    "generate_dataset",
    "read_assistments_csv",
    "read_sequence_file",
    "read_sequence_files",
    "response_numbers",
    "sort_ids",
    "student_folds",
    "to_sequences",
    "validate_log",
    "windows",
    "write_assistments_csv",
    "write_sequence_file",
]
