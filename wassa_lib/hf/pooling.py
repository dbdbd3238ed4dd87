"""One vector per essay from an encoder's output: the pooled [CLS] output, the [CLS] state, or the masked mean.

The paper's text reads "the pooled output" (BERT's pooler, a dense layer and tanh over the [CLS] state);
the authors' code reads the [CLS] token's last hidden state; a sentence-embedding model such as
all-MiniLM-L6-v2 was trained through the masked mean, and its pooler output hardly varies between essays.
"""

from __future__ import annotations

import torch

from wassa_lib.settings.configs import ParameterError

POOLINGS = ("pooler", "cls", "mean")


def check_pooling(pooling: str, name: str = "pooling") -> str:
    """``pooling`` where it is one of :data:`POOLINGS`; else a :class:`ParameterError` naming ``name``."""
    if pooling not in POOLINGS:
        raise ParameterError(name, f"must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    return pooling


def pool(
    hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str, pooler_output: torch.Tensor | None = None
) -> torch.Tensor:
    """``(essays, hidden)`` from the last hidden states ``hidden`` (``pooling``: one of :data:`POOLINGS`)."""
    if pooling == "pooler":
        if pooler_output is None:
            raise ValueError("pooling 'pooler': this encoder has no pooler; use cls or mean")
        return pooler_output
    if pooling == "cls":
        return hidden[:, 0]
    check_pooling(pooling)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
