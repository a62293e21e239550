"""Attentive Knowledge Tracing (Ghosh, Heffernan & Lan 2020), as pyKT implements it.

Three encoders of monotonic attention (:mod:`.attention`):

- the *question encoder* reads the questions up to and including ``t``;
- the *knowledge encoder* reads the responses up to and including ``t``;
- the *knowledge retriever* lets question ``t`` attend to the encoded questions before it
  and gathers their encoded responses (so response ``t`` is never seen when predicting it).

The retrieved knowledge and question ``t``'s embedding go through an MLP to the logit of
``P(correct_t)``. The first step retrieves nothing and is predicted from its question alone.

**Rasch embeddings.** With question ids, a question is its skill's embedding shifted along a
learnt skill direction by a scalar difficulty: ``c_s + mu_q * d_s`` (and the response's
embedding likewise), with an L2 penalty on ``mu_q``. Questions that share a skill share most
parameters, which is what lets AKT use ASSIST2009's 17 k questions without overfitting. When
the data's questions are just its skills (ASSIST2015, Statics as the AKT repository ships
them), ``rasch="auto"`` turns this off, as pyKT does for datasets without question ids.

Defaults are pyKT's architecture at a size that trains on two CPU cores in minutes
(``d_model=64``, one block per encoder); pyKT's tuned sizes (``d_model=256``, ``n_blocks=4``)
are one parameter away for a GPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn

from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing.attention import TransformerLayer
from yangcheng.education.tracing.base import IdKind
from yangcheng.education.tracing.neural import NeuralTracer

__all__ = ["AKT", "AKTNet", "QuestionAware", "questions_are_skills"]


def questions_are_skills(data: KTSequences) -> bool:
    """True when every response's question index equals its skill index."""
    return all(np.array_equal(s.questions, s.skills) for s in data)


class QuestionAware(NeuralTracer):
    """A tracer that reads question ids (Rasch embeddings) only when the data has them.

    ``rasch="auto"`` decides at ``fit``: data whose questions are its skills gives a
    skill-only model, which then checks skill ids only.
    """

    rasch: bool | Literal["auto"]
    uses_questions_: bool

    @property
    def _id_kinds(self) -> tuple[IdKind, ...]:  # type: ignore[override]
        if getattr(self, "uses_questions_", True):
            return ("question", "skill")
        return ("skill",)

    def _prepare(self, train: KTSequences) -> None:
        if self.rasch == "auto":
            self.uses_questions_ = not questions_are_skills(train)
        else:
            self.uses_questions_ = bool(self.rasch)


class AKTNet(nn.Module):
    """Embeddings (optionally Rasch) -> question/knowledge encoders -> retriever -> MLP."""

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
        dropout: float,
        rasch: bool,
        l2: float,
    ) -> None:
        super().__init__()
        self.n_skills, self.rasch, self.l2 = n_skills, rasch, l2
        self.skill_embed = nn.Embedding(n_skills, d_model)
        self.response_embed = nn.Embedding(2, d_model)
        if rasch:
            self.difficulty = nn.Embedding(n_questions, 1)
            nn.init.zeros_(self.difficulty.weight)  # every question starts as its skill
            self.skill_variation = nn.Embedding(n_skills, d_model)
            self.response_variation = nn.Embedding(2, d_model)

        def layer() -> TransformerLayer:
            return TransformerLayer(d_model, n_heads, d_ff, dropout, monotonic=True)

        self.knowledge_encoder = nn.ModuleList(layer() for _ in range(n_blocks))
        self.retriever = nn.ModuleList(layer() for _ in range(2 * n_blocks))
        self.out = nn.Sequential(
            nn.Linear(2 * d_model, final_fc_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(final_fc_dim, 256),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(256, 1),
        )

    def _embed(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        question = self.skill_embed(skills)
        response = self.response_embed(correct) + question
        if self.rasch:
            mu = self.difficulty(questions)
            variation = self.skill_variation(skills)
            question = question + mu * variation
            response = response + mu * (self.response_variation(correct) + variation)
        return question, response

    def penalty(self, questions: torch.Tensor) -> torch.Tensor:
        """Per response, the L2 penalty on its question's difficulty (zero without Rasch)."""
        if not self.rasch:
            return torch.zeros(questions.shape, device=questions.device)
        return self.l2 * self.difficulty(questions).squeeze(-1) ** 2

    def forward(
        self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``(B, T)`` of P(correct_t | responses < t, question t)."""
        question, response = self._embed(questions, skills, correct)
        y = response
        for block in self.knowledge_encoder:
            y = block(y, y, y, peek=True)
        x = question
        for i, block in enumerate(self.retriever):
            if i % 2 == 0:  # question encoder: questions up to t, no feed-forward
                x = block(x, x, x, peek=True, feed_forward=False)
            else:  # retriever: responses before t only
                x = block(x, x, y, peek=False)
        return self.out(torch.cat([x, question], dim=-1)).squeeze(-1)


class AKT(QuestionAware):
    """Attentive Knowledge Tracing with monotonic attention and Rasch embeddings (pyKT's)."""

    bounded_context = True
    predict_batch = 32

    net_: AKTNet

    def __init__(
        self,
        *,
        d_model: int = 64,
        n_blocks: int = 1,
        n_heads: int = 8,
        d_ff: int = 256,
        final_fc_dim: int = 256,
        dropout: float = 0.05,
        rasch: bool | Literal["auto"] = "auto",
        l2: float = 1e-5,
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
        self.dropout = dropout
        self.rasch = rasch
        self.l2 = l2

    def _build_net(self) -> AKTNet:
        return AKTNet(
            self.n_questions_,
            self.n_skills_,
            d_model=self.d_model,
            n_blocks=self.n_blocks,
            n_heads=self.n_heads,
            d_ff=self.d_ff,
            final_fc_dim=self.final_fc_dim,
            dropout=self.dropout,
            rasch=self.uses_questions_,
            l2=self.l2,
        )
