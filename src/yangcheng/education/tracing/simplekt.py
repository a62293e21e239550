"""simpleKT (Liu et al. 2023), as pyKT implements it: a strong, simple attention baseline.

One stack of plain (not monotonic) attention blocks: question ``t`` (its skill's embedding,
shifted by a per-question difficulty vector when the data has question ids) attends to the
questions before it and gathers their responses. Both streams get sine/cosine positions.
The output and question ``t``'s embedding go through an MLP to the logit of
``P(correct_t)``; the first response retrieves nothing and is predicted from its question.

simpleKT's Rasch variant uses a *vector* difficulty per question (AKT's is a scalar), so its
question embeddings have more freedom; ``rasch="auto"`` turns it off when the questions are
just the skills.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import nn

from yangcheng.education.tracing.akt import QuestionAware
from yangcheng.education.tracing.attention import TransformerLayer, sinusoid_positions

__all__ = ["SimpleKT", "SimpleKTNet"]


class SimpleKTNet(nn.Module):
    """Embeddings (+ positions) -> retriever blocks -> MLP over [knowledge, question]."""

    def __init__(
        self,
        n_questions: int,
        n_skills: int,
        *,
        d_model: int,
        n_blocks: int,
        n_heads: int,
        d_ff: int,
        final_fc_dim: int,
        final_fc_dim2: int,
        dropout: float,
        rasch: bool,
    ) -> None:
        super().__init__()
        self.d_model, self.rasch = d_model, rasch
        self.skill_embed = nn.Embedding(n_skills, d_model)
        self.response_embed = nn.Embedding(2, d_model)
        if rasch:
            self.difficulty = nn.Embedding(n_questions, d_model)
            self.skill_variation = nn.Embedding(n_skills, d_model)
        self.blocks = nn.ModuleList(
            TransformerLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_blocks)
        )
        self.out = nn.Sequential(
            nn.Linear(2 * d_model, final_fc_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(final_fc_dim, final_fc_dim2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(final_fc_dim2, 1),
        )

    def forward(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``(B, T)`` of P(correct_t | responses < t, question t)."""
        question = self.skill_embed(skills)
        if self.rasch:
            question = question + self.difficulty(questions) * self.skill_variation(skills)
        response = question + self.response_embed(correct)
        positions = sinusoid_positions(questions.shape[1], self.d_model, questions.device)[None]
        x, y = question + positions, response + positions
        for block in self.blocks:
            x = block(x, x, y, peek=False)
        return self.out(torch.cat([x, question], dim=-1)).squeeze(-1)


class SimpleKT(QuestionAware):
    """simpleKT: question-aware embeddings and plain attention (pyKT's simpleKT)."""

    bounded_context = True
    predict_batch = 32

    net_: SimpleKTNet

    def __init__(
        self,
        *,
        d_model: int = 64,
        n_blocks: int = 2,
        n_heads: int = 4,
        d_ff: int = 256,
        final_fc_dim: int = 256,
        final_fc_dim2: int = 256,
        dropout: float = 0.1,
        rasch: bool | Literal["auto"] = "auto",
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
        self.d_model = d_model
        self.n_blocks = n_blocks
        self.n_heads = n_heads
        self.d_ff = d_ff
        self.final_fc_dim = final_fc_dim
        self.final_fc_dim2 = final_fc_dim2
        self.dropout = dropout
        self.rasch = rasch

    def _build_net(self) -> SimpleKTNet:
        return SimpleKTNet(
            self.n_questions_,
            self.n_skills_,
            d_model=self.d_model,
            n_blocks=self.n_blocks,
            n_heads=self.n_heads,
            d_ff=self.d_ff,
            final_fc_dim=self.final_fc_dim,
            final_fc_dim2=self.final_fc_dim2,
            dropout=self.dropout,
            rasch=self.uses_questions_,
        )
