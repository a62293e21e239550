"""Self-Attentive Knowledge Tracing (Pandey & Karypis 2019), as pyKT implements it.

Each past response is one token, ``skill + n_skills * correct``, embedded with a learnt
position. To predict response ``t``, the skill asked at ``t`` is the query of every block and
attends to the responses ``0..t-1`` (keys and values, refined block by block); the output
goes through a linear layer to the logit of ``P(correct_t)``. The first response has nothing
to attend to and gets the skill's share of correct answers in training, as DKT's does.

Positions are learnt only up to ``window``, so histories longer than that are read in
overlapping windows (:func:`._padding.predict_windowed`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from yangcheng.education.tracing.attention import TransformerLayer
from yangcheng.education.tracing.base import IdKind
from yangcheng.education.tracing.neural import NeuralTracer

__all__ = ["SAKT", "SAKTNet"]


class SAKTNet(nn.Module):
    """Interaction and position embeddings -> blocks queried by the next skill -> linear."""

    def __init__(
        self,
        n_skills: int,
        *,
        window: int,
        embedding_size: int,
        n_heads: int,
        n_blocks: int,
        dropout: float,
        skill_prior: np.ndarray,
    ) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.interaction = nn.Embedding(2 * n_skills, embedding_size)
        self.exercise = nn.Embedding(n_skills, embedding_size)
        self.position = nn.Embedding(window, embedding_size)
        self.blocks = nn.ModuleList(
            TransformerLayer(embedding_size, n_heads, embedding_size, dropout, kq_same=False)
            for _ in range(n_blocks)
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(embedding_size, 1)
        prior = np.clip(np.asarray(skill_prior, dtype=np.float64), 1e-4, 1 - 1e-4)
        self.register_buffer("prior_logit", torch.from_numpy(np.log(prior / (1 - prior))).float())

    def forward(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``(B, T)`` of P(correct_t | responses < t)."""
        past = self.interaction(skills[:, :-1] + self.n_skills * correct[:, :-1])
        positions = torch.arange(past.shape[1], device=past.device)
        x = past + self.position(positions)[None]
        query = self.exercise(skills[:, 1:])
        for block in self.blocks:
            x = block(query, x, x, peek=True)
        following = self.out(self.dropout(x)).squeeze(-1)
        first = self.prior_logit[skills[:, :1]]  # type: ignore[index]
        return torch.cat([first, following], dim=1)


class SAKT(NeuralTracer):
    """Self-attentive knowledge tracing over (skill, correct) tokens (pyKT's SAKT)."""

    _id_kinds: tuple[IdKind, ...] = ("skill",)
    bounded_context = True
    predict_batch = 32

    net_: SAKTNet

    def __init__(
        self,
        *,
        embedding_size: int = 64,
        n_heads: int = 8,
        n_blocks: int = 2,
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
        self.n_heads = n_heads
        self.n_blocks = n_blocks
        self.dropout = dropout

    def _build_net(self) -> SAKTNet:
        return SAKTNet(
            self.n_skills_,
            window=self.window,
            embedding_size=self.embedding_size,
            n_heads=self.n_heads,
            n_blocks=self.n_blocks,
            dropout=self.dropout,
            skill_prior=self.skill_prior_,
        )
