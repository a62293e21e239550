"""Deep Knowledge Tracing (Piech et al. 2015), as pyKT implements it.

Each response is one token, ``skill + n_skills * correct``, embedded and read by an LSTM;
after every step a linear layer and a sigmoid give, for every skill, the probability of
answering it correctly next. The prediction for response ``t`` is that vector after step
``t - 1`` read at ``t``'s skill. DKT sees skills, not questions, so a new question of a known
skill is no problem (it checks skill indices only).

The first response has no step before it; it gets the skill's share of correct answers in
training (``skill_prior_``, kept in the net as a buffer so the ONNX graph carries it too).
pyKT does not score first responses, and neither does :mod:`.evaluate`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from yangcheng.education.data.sequences import StudentSequence
from yangcheng.education.tracing.base import IdKind
from yangcheng.education.tracing.neural import NeuralTracer, torch_threads

__all__ = ["DKT", "DKTNet"]


class DKTNet(nn.Module):
    """Embedding of (skill, correct) -> LSTM -> dropout -> linear over skills."""

    def __init__(
        self,
        n_skills: int,
        embedding_size: int,
        hidden_size: int,
        dropout: float,
        skill_prior: np.ndarray,
    ) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.interaction = nn.Embedding(2 * n_skills, embedding_size)
        self.lstm = nn.LSTM(embedding_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, n_skills)
        prior = np.clip(np.asarray(skill_prior, dtype=np.float64), 1e-4, 1 - 1e-4)
        self.register_buffer("prior_logit", torch.from_numpy(np.log(prior / (1 - prior))).float())

    def knowledge(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``(B, T, n_skills)``: each skill's P(correct) at the step after ``t``."""
        hidden, _ = self.lstm(self.interaction(skills + self.n_skills * correct))
        return self.out(self.dropout(hidden))

    def forward(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``(B, T)`` of P(correct_t | responses < t)."""
        state = self.knowledge(questions, skills, correct)
        following = state[:, :-1].gather(2, skills[:, 1:].unsqueeze(2)).squeeze(2)
        first = self.prior_logit[skills[:, :1]]  # type: ignore[index]
        return torch.cat([first, following], dim=1)


class DKT(NeuralTracer):
    """Deep Knowledge Tracing: an LSTM over (skill, correct) tokens (pyKT's DKT)."""

    _id_kinds: tuple[IdKind, ...] = ("skill",)

    net_: DKTNet

    def __init__(
        self,
        *,
        embedding_size: int = 64,
        hidden_size: int = 100,
        dropout: float = 0.2,
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
        super().__init__(
            batch_size=batch_size,
            lr=lr,
            max_epochs=max_epochs,
            patience=patience,
            window=window,
            seed=seed,
            threads=threads,
            device=device,
            checkpoint_path=checkpoint_path,
            progress=progress,
        )
        self.embedding_size = embedding_size
        self.hidden_size = hidden_size
        self.dropout = dropout

    def _build_net(self) -> DKTNet:
        return DKTNet(
            self.n_skills_, self.embedding_size, self.hidden_size, self.dropout, self.skill_prior_
        )

    def mastery(self, seq: StudentSequence) -> np.ndarray:
        """P(correct) on each skill at the next step (its training share when empty)."""
        self._check_fitted("mastery")
        self._check_sequence(seq)
        if len(seq) == 0:
            return self.skill_prior_.copy()
        device = next(self.net_.parameters()).device
        tensors = [
            torch.from_numpy(np.asarray(a, np.int64)[None]).to(device)
            for a in (seq.questions, seq.skills, seq.correct)
        ]
        with torch.no_grad(), torch_threads(self.threads):
            state = self.net_.knowledge(*tensors)[0, -1]
        return torch.sigmoid(state).double().cpu().numpy()
