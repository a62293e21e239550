"""What the neural tracers share: training in PyTorch, checkpoints, prediction, mastery.

A neural tracer supplies one ``torch.nn.Module`` (its *net*) with the contract

    net(questions, skills, correct) -> logits (B, T)

where inputs are int64 ``(B, T)`` right-padded batches and ``logits[:, t]`` is the logit of
``P(correct_t)`` from the responses before ``t`` (and the question asked at ``t``). A net that
can read out every skill at once adds ``knowledge(questions, skills, correct) -> (B, T, K)``:
the logits of ``P(correct)`` on each skill at the step after ``t``. DKT has both; an
attention model (SAKT, AKT, simpleKT) only needs ``forward`` and gets ``mastery`` by asking
about each skill's most frequent question after the history.

Training follows pyKT: sequences are cut into windows of ``window`` responses, the loss is
binary cross-entropy over responses ``t >= 1`` (``t = 0`` has nothing to read), Adam, and
early stopping on the validation AUC (``patience`` epochs without a new best; the best
epoch's weights are kept). Batches group sequences of similar length (little padding, much
faster on CPU) and are shuffled from ``(seed, epoch)``; the weights start from ``seed``. With
``checkpoint_path`` the state after each epoch (weights, optimiser, RNG, early-stopping
counters, a fingerprint of the data) is saved atomically, and a fit that finds the file
resumes there: an interrupted run continues to the same weights as one never stopped. Raising
``max_epochs`` and fitting again continues a finished run.

Device: ``device="cuda"`` trains and predicts on a GPU (the figures for pyKT's larger sizes);
the weights are the same kind of tensors, and :func:`.export.export_onnx` serves them on CPU.

Threads: fitting and predicting set ``torch.set_num_threads(threads)`` and restore it after.
The default is one: a recurrent step multiplies matrices of a few thousand numbers, too small
to split, and on a busy two-core machine a second thread spends its time waiting (DKT on
ASSIST2015 took 125 s per epoch with two threads against 20 s with one, next to other work).
"""

from __future__ import annotations

import copy
import hashlib
import os
import time
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.data.splits import windows
from yangcheng.education.tracing._padding import (
    last,
    pad,
    predict_padded,
    predict_windowed,
    skill_queries,
)
from yangcheng.education.tracing.base import KnowledgeTracer, skill_base_rates
from yangcheng.education.tracing.evaluate import score_predictions

__all__ = ["CheckpointMismatch", "EpochReport", "NeuralTracer", "torch_threads"]

PREDICT_BATCH = 256
_RESUMABLE = ("max_epochs", "progress", "checkpoint_path", "threads", "device")
"""Parameters that may change between a checkpoint and its resumption."""


class CheckpointMismatch(ValueError):
    """A checkpoint was written by a tracer with other settings or for other data."""


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    """1-based."""
    train_loss: float
    valid_auc: float | None
    seconds: float


@dataclass
class _State:
    epoch: int = 0
    best_auc: float = -np.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped: bool = False
    best_weights: dict[str, torch.Tensor] | None = None
    history: list[EpochReport] = field(default_factory=list)


def representative_questions(train: KTSequences) -> np.ndarray:
    """Each skill's most frequent question in ``train`` (question 0 for unseen skills)."""
    skills = np.concatenate([s.skills for s in train]).astype(np.int64)
    questions = np.concatenate([s.questions for s in train]).astype(np.int64)
    pairs, counts = np.unique(skills * train.n_questions + questions, return_counts=True)
    out = np.zeros(train.n_skills, dtype=np.int64)
    best = np.zeros(train.n_skills, dtype=np.int64)
    for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True):
        skill, question = divmod(pair, train.n_questions)
        if count > best[skill]:
            best[skill], out[skill] = count, question
    return out


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run with ``threads`` intra-op threads, then give the process its setting back."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fingerprint(sequences: list[StudentSequence]) -> str:
    digest = hashlib.sha256()
    for seq in sequences:
        digest.update(np.asarray(seq.questions, np.int64).tobytes())
        digest.update(np.asarray(seq.skills, np.int64).tobytes())
        digest.update(np.asarray(seq.correct, np.int8).tobytes())
    return digest.hexdigest()


def _epoch_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """Shuffle, sort within buckets of 16 batches by length, cut, shuffle the batches."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    bucket = batch_size * 16
    batches: list[np.ndarray] = []
    for start in range(0, len(order), bucket):
        part = order[start : start + bucket]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


class NeuralTracer(KnowledgeTracer):
    """Base of the PyTorch tracers; subclasses build the net and list their parameters."""

    net_: nn.Module
    skill_prior_: np.ndarray
    """Per skill, the smoothed share of correct responses in training: P(first response)."""
    skill_question_: np.ndarray
    """Per skill, its most frequent training question (what ``mastery`` asks about)."""
    history_: list[EpochReport]
    best_epoch_: int
    bounded_context: ClassVar[bool] = False
    """True for attention models: they read at most ``window`` responses (see
    :func:`._padding.predict_windowed`); a recurrent net reads any length."""
    predict_batch: ClassVar[int] = PREDICT_BATCH
    best_valid_auc_: float | None

    def __init__(
        self,
        *,
        batch_size: int = 64,
        lr: float = 1e-3,
        max_epochs: int = 30,
        patience: int = 3,
        window: int = 200,
        seed: int = 0,
        threads: int = 1,
        device: str = "cpu",
        checkpoint_path: str | Path | None = None,
        progress: bool = False,
    ) -> None:
        self.batch_size = batch_size
        self.lr = lr
        self.max_epochs = max_epochs
        self.patience = patience
        self.window = window
        self.seed = seed
        self.threads = threads
        self.device = device
        self.checkpoint_path = checkpoint_path
        self.progress = progress

    @abstractmethod
    def _build_net(self) -> nn.Module:
        """A fresh net for the fitted vocabulary (``n_questions_``, ``n_skills_``, priors)."""

    def _prepare(self, train: KTSequences) -> None:
        """Learn what the net's shape depends on beyond the vocabulary (nothing by default)."""

    # --- training --------------------------------------------------------------------------

    def fit(self, train: KTSequences, valid: KTSequences | None = None) -> Self:
        """Train on ``train`` (windowed), stopping early on ``valid``'s AUC when given."""
        self._remember_vocabulary(train)
        self._prepare(train)
        if valid is not None:
            self._check_data(valid)
        with torch_threads(self.threads):
            self._train(train, valid)
        return self

    def _train(self, train: KTSequences, valid: KTSequences | None) -> None:
        self.skill_prior_ = skill_base_rates(train)
        self.skill_question_ = representative_questions(train)
        chunks = windows(train, self.window, min_length=2).sequences
        if not chunks:
            raise ValueError(f"{type(self).__name__}.fit: no training sequence has 2 responses")
        torch.manual_seed(self.seed)
        net = self._build_net().to(self._torch_device())
        optimiser = torch.optim.Adam(net.parameters(), lr=self.lr)
        state = _State()
        identity = self._identity(chunks, valid)
        path = Path(self.checkpoint_path) if self.checkpoint_path is not None else None
        if path is not None and path.exists():
            state = self._resume(path, identity, net, optimiser)
        lengths = np.array([len(s) for s in chunks])
        n_batches = len(_epoch_batches(lengths, self.batch_size, self.seed, 0))
        bar = _ProgressBar(type(self).__name__, self.max_epochs, n_batches, self.progress)
        with bar:
            bar.resume(state.epoch, state.history)
            while state.epoch < self.max_epochs and not state.stopped:
                started = time.perf_counter()
                loss = self._train_epoch(net, optimiser, chunks, lengths, state.epoch, bar)
                self.net_ = net.eval()
                auc = None
                if valid is not None:
                    auc = score_predictions(valid, self._predict(valid)).auc
                state.epoch += 1
                report = EpochReport(state.epoch, loss, auc, time.perf_counter() - started)
                state.history.append(report)
                if auc is None or auc > state.best_auc:
                    state.best_auc = auc if auc is not None else state.best_auc
                    state.best_epoch, state.bad_epochs = state.epoch, 0
                    if auc is not None:
                        state.best_weights = copy.deepcopy(net.state_dict())
                else:
                    state.bad_epochs += 1
                    state.stopped = state.bad_epochs >= self.patience
                bar.epoch_done(report, state.best_auc if auc is not None else None)
                if path is not None:
                    self._save(path, identity, net, optimiser, state)
        if state.best_weights is not None:
            net.load_state_dict(state.best_weights)
        self.net_ = net.eval()
        self.history_ = state.history
        self.best_epoch_ = state.best_epoch
        self.best_valid_auc_ = None if state.best_weights is None else float(state.best_auc)

    def _train_epoch(
        self,
        net: nn.Module,
        optimiser: torch.optim.Optimizer,
        chunks: list[StudentSequence],
        lengths: np.ndarray,
        epoch: int,
        bar: _ProgressBar,
    ) -> float:
        net.train()
        total, count = 0.0, 0
        for picks in _epoch_batches(lengths, self.batch_size, self.seed, epoch):
            device = self._torch_device()
            q, s, c = (torch.from_numpy(a).to(device) for a in pad([chunks[i] for i in picks]))
            n = torch.from_numpy(lengths[picks]).to(device)
            mask = torch.arange(q.shape[1], device=device)[None, :] < n[:, None]
            mask[:, 0] = False  # nothing to read before the first response
            logits = net(q, s, c)
            loss = F.binary_cross_entropy_with_logits(logits[mask], c[mask].float())
            penalty = getattr(net, "penalty", None)
            if penalty is not None:  # e.g. AKT's L2 on question difficulties
                loss = loss + penalty(q)[mask].sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += float(loss.item()) * int(mask.sum())
            count += int(mask.sum())
            bar.advance(total / max(count, 1))
        return total / max(count, 1)

    # --- checkpoints -----------------------------------------------------------------------

    def _identity(self, chunks: list[StudentSequence], valid: KTSequences | None) -> dict[str, Any]:
        params = {
            k: v if isinstance(v, int | float | str | bool | None) else repr(v)
            for k, v in self.get_params().items()
            if k not in _RESUMABLE
        }
        return {
            "tracer": type(self).__name__,
            "params": params,
            "n_questions": self.n_questions_,
            "n_skills": self.n_skills_,
            "data": _fingerprint(chunks),
            "valid": None if valid is None else _fingerprint(list(valid)),
        }

    def _resume(
        self,
        path: Path,
        identity: dict[str, Any],
        net: nn.Module,
        optimiser: torch.optim.Optimizer,
    ) -> _State:
        saved = torch.load(path, weights_only=False, map_location=self._torch_device())
        if saved["identity"] != identity:
            theirs, ours = saved["identity"], identity
            differ = sorted(k for k in ours if theirs.get(k) != ours[k])
            if "params" in differ:
                differ = [p for p in ours["params"] if theirs["params"].get(p) != ours["params"][p]]
            raise CheckpointMismatch(
                f"{path} was written by another run (differs in {', '.join(differ)}); "
                "resume with the same settings and data, or use another checkpoint_path"
            )
        net.load_state_dict(saved["net"])
        optimiser.load_state_dict(saved["optimiser"])
        torch.set_rng_state(saved["torch_rng"].cpu())
        state = saved["state"]
        state["history"] = [EpochReport(**h) for h in state["history"]]
        return _State(**state)

    def _save(
        self,
        path: Path,
        identity: dict[str, Any],
        net: nn.Module,
        optimiser: torch.optim.Optimizer,
        state: _State,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        plain = asdict(state) | {"best_weights": state.best_weights}
        torch.save(
            {
                "identity": identity,
                "net": net.state_dict(),
                "optimiser": optimiser.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "state": plain,
            },
            tmp,
        )
        os.replace(tmp, path)

    # --- prediction ------------------------------------------------------------------------

    def _torch_device(self) -> torch.device:
        return torch.device(self.device)

    def _run(self, questions: np.ndarray, skills: np.ndarray, correct: np.ndarray) -> np.ndarray:
        device = next(self.net_.parameters()).device
        with torch.no_grad():
            logits = self.net_(
                *(torch.from_numpy(a).to(device) for a in (questions, skills, correct))
            )
            return torch.sigmoid(logits).double().cpu().numpy()

    def _predict(self, data: KTSequences) -> list[np.ndarray]:
        if self.bounded_context:
            return predict_windowed(list(data), self.window, self.predict_batch, self._run)
        return predict_padded(list(data), self.predict_batch, self._run)

    def predict_proba(self, data: KTSequences) -> list[np.ndarray]:
        self._check_data(data)
        with torch_threads(self.threads):
            return self._predict(data)

    def mastery(self, seq: StudentSequence) -> np.ndarray:
        """P(correct) on each skill's representative question at the next step."""
        self._check_fitted("mastery")
        self._check_sequence(seq)
        if self.bounded_context:
            seq = last(seq, self.window - 1)
        questions, skills, correct = skill_queries(seq, self.skill_question_)
        out = np.empty(len(questions), dtype=np.float64)
        with torch_threads(self.threads):
            for start in range(0, len(questions), self.predict_batch):
                rows = slice(start, start + self.predict_batch)
                out[rows] = self._run(questions[rows], skills[rows], correct[rows])[:, len(seq)]
        return out


class _ProgressBar:
    """A rich progress bar over all epochs' batches, or nothing when ``enabled`` is false."""

    def __init__(self, name: str, epochs: int, batches: int, enabled: bool) -> None:
        self.name, self.epochs, self.batches = name, epochs, batches
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._best = ""

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.name, total=self.epochs * self.batches, status=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def resume(self, epoch: int, history: list[EpochReport]) -> None:
        if self._progress is not None and epoch:
            self._progress.update(self._task, completed=epoch * self.batches)
            self._progress.console.print(f"{self.name}: resumed after epoch {epoch}")

    def advance(self, loss: float) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, status=f"loss {loss:.4f}{self._best}")

    def epoch_done(self, report: EpochReport, best_auc: float | None) -> None:
        if self._progress is None:
            return
        auc = "" if report.valid_auc is None else f" valid AUC {report.valid_auc:.4f}"
        if best_auc is not None:
            self._best = f" best AUC {best_auc:.4f}"
        self._progress.update(
            self._task,
            completed=report.epoch * self.batches,
            description=f"{self.name} epoch {report.epoch}/{self.epochs}",
        )
        self._progress.console.print(
            f"{self.name} epoch {report.epoch}: loss {report.train_loss:.4f}{auc} "
            f"({report.seconds:.1f} s)"
        )
