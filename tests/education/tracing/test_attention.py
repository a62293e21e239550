"""The attention blocks: cache-sized chunks change nothing, masks keep the future out."""

from __future__ import annotations

import pytest
import torch

from yangcheng.education.tracing import attention
from yangcheng.education.tracing.attention import MultiHeadAttention, allowed


@pytest.mark.parametrize("monotonic", [False, True])
@pytest.mark.parametrize("peek", [False, True])
def test_chunked_attention_equals_whole_batch(
    monotonic: bool, peek: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(0)
    layer = MultiHeadAttention(16, 4, 0.0, monotonic=monotonic).eval()
    x, y = torch.randn(7, 12, 16), torch.randn(7, 12, 16)
    whole = layer(x, x, y, peek)
    monkeypatch.setattr(attention, "_CHUNK_BYTES", 4 * 4 * 12 * 12 * 2)  # two rows a chunk
    assert layer._rows_per_chunk(7, 12, x.device) == 2
    torch.testing.assert_close(layer(x, x, y, peek), whole)


def test_without_peek_the_first_step_gets_nothing() -> None:
    torch.manual_seed(0)
    layer = MultiHeadAttention(8, 2, 0.0, monotonic=True).eval()
    x = torch.randn(3, 5, 8)
    out = layer(x, x, x, False)
    bias = layer.out_proj.bias.expand(3, 8)
    torch.testing.assert_close(out[:, 0], bias)  # zero attention, then the projection's bias
    assert allowed(3, False, x.device).tolist() == [
        [False, False, False],
        [True, False, False],
        [True, True, False],
    ]
