"""The attention blocks SAKT, AKT and simpleKT are built from, as pyKT writes them.

Three things differ from a textbook transformer, and each is what makes these models trace
knowledge rather than leak answers:

- **Masks by "peek".** A block either may see the current step (``peek=True``: a question
  attending to the questions up to and including itself) or only the steps before it
  (``peek=False``: a question retrieving knowledge from earlier *responses*). With
  ``peek=False`` the first step has nothing to attend to; its output row is zero
  (``zero_pad``) instead of a softmax over nothing.
- **Monotonic attention** (AKT). Each head learns a rate ``theta`` and its scores are
  multiplied by ``exp(-theta * d)``, where ``d`` is a context-aware distance: how much of the
  attention mass lies between the key and the query. Old practice fades unless the model
  finds it relevant; pyKT computes ``d`` without gradient, and so do we.
- **Shared query/key projection** (``kq_same``): questions and responses live in one space.

Masks are built with torch ops from the input's length, so the ONNX graph keeps a dynamic
time axis.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["MultiHeadAttention", "TransformerLayer", "allowed", "sinusoid_positions"]

_NEG = -1e32
_CHUNK_BYTES = 4 * 2**20


def allowed(length: int, peek: bool, device: torch.device) -> torch.Tensor:
    """Bool ``(T, T)``: may query ``i`` attend to key ``j``? (``j <= i``, or ``j < i``)."""
    idx = torch.arange(length, device=device)
    if peek:
        return idx[None, :] <= idx[:, None]
    return idx[None, :] < idx[:, None]


def sinusoid_positions(length: int, d_model: int, device: torch.device) -> torch.Tensor:
    """``(T, d_model)`` sine/cosine position codes (simpleKT's ``CosinePositionalEmbedding``)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    rates = torch.exp(
        torch.arange(0, d_model, 2, device=device, dtype=torch.float32)
        * (-math.log(10000.0) / d_model)
    )
    angles = position * rates
    codes = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1)
    return codes.reshape(length, -1)[:, :d_model]


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over ``n_heads``, optionally monotonic (AKT)."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float,
        *,
        kq_same: bool = True,
        monotonic: bool = False,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not a multiple of n_heads {n_heads}")
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.kq_same, self.monotonic = kq_same, monotonic
        self.k_linear = nn.Linear(d_model, d_model)
        self.v_linear = nn.Linear(d_model, d_model)
        self.q_linear = None if kq_same else nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)
        if monotonic:
            self.gammas = nn.Parameter(torch.zeros(n_heads, 1, 1))
            nn.init.xavier_uniform_(self.gammas)
        for layer in (self.k_linear, self.v_linear, self.q_linear):
            if layer is not None:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
        batch = x.shape[0]
        return layer(x).view(batch, -1, self.n_heads, self.d_k).transpose(1, 2)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, peek: bool
    ) -> torch.Tensor:
        q = self._heads(query, self.q_linear if self.q_linear is not None else self.k_linear)
        k = self._heads(key, self.k_linear)
        v = self._heads(value, self.v_linear)
        batch, length = query.shape[0], query.shape[1]
        mask = allowed(length, peek, query.device)
        rows = self._rows_per_chunk(batch, length, query.device)
        if rows >= batch:
            out = self._attend(q, k, v, mask, peek)
        else:
            out = torch.cat(
                [
                    self._attend(q[i : i + rows], k[i : i + rows], v[i : i + rows], mask, peek)
                    for i in range(0, batch, rows)
                ]
            )
        return self.out_proj(out.transpose(1, 2).reshape(batch, -1, self.d_model))

    def _rows_per_chunk(self, batch: int, length: int, device: torch.device) -> int:
        """Sequences whose (H, T, T) scores take about 4 MB together.

        Attention on a CPU is a chain of passes over (B, H, T, T) tensors; over chunks that
        stay in cache, an AKT training step on 64 windows of 200 (8 heads, 2 threads) took
        2.75 s instead of 6.5 s (1 to 16 MB chunks all did well; the whole batch, 82 MB,
        did not). A GPU, and the ONNX export, take the batch whole.
        """
        if device.type != "cpu" or torch.onnx.is_in_onnx_export():
            return batch
        return max(1, _CHUNK_BYTES // (4 * self.n_heads * max(length, 1) ** 2))

    def _attend(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, peek: bool
    ) -> torch.Tensor:
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (B, H, T, T)
        if self.monotonic:
            scores = scores * self._decay(scores, mask)
        weights = F.softmax(scores.masked_fill(~mask, _NEG), dim=-1)
        out = self.dropout(weights) @ v  # (B, H, T, d_k)
        if not peek:  # the first step attends to nothing: zero, not the mean of every value
            first = torch.arange(q.shape[2], device=q.device) > 0
            out = out * first[:, None].to(out.dtype)
        return out

    def _decay(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``exp(-theta * sqrt(d))`` with AKT's context-aware distance ``d`` (no gradient)."""
        length = scores.shape[-1]
        with torch.no_grad():
            # Rows sum to one, so the mass beyond key j is 1 - cumsum; on masked keys it is
            # ~0, and a row with no allowed key (the first, without peek) is zeroed later.
            # In place: the T x T passes are what attention costs on a CPU.
            attended = F.softmax(scores.masked_fill(~mask, _NEG), dim=-1)
            beyond = attended.cumsum_(-1).neg_().add_(1.0).clamp_(min=0.0)
            idx = torch.arange(length, device=scores.device, dtype=scores.dtype)
            gap = (idx[None, :] - idx[:, None]).abs()
            distance = beyond.mul_(gap).sqrt_()
        theta = F.softplus(self.gammas)[None]  # (1, H, 1, 1)
        return torch.exp(-theta * distance).clamp(min=1e-5)  # exp of <= 0: at most 1


class TransformerLayer(nn.Module):
    """Attention, residual and layer norm; then (``feed_forward``) a ReLU MLP, the same."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        *,
        kq_same: bool = True,
        monotonic: bool = False,
    ) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(
            d_model, n_heads, dropout, kq_same=kq_same, monotonic=monotonic
        )
        self.norm1 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        *,
        peek: bool,
        feed_forward: bool = True,
    ) -> torch.Tensor:
        x = self.norm1(query + self.dropout1(self.attention(query, key, value, peek)))
        if feed_forward:
            hidden = self.linear2(self.dropout(F.relu(self.linear1(x))))
            x = self.norm2(x + self.dropout2(hidden))
        return x
