"""The Track-1 encoder's regression head: the kit's (one linear layer over the pooled output, on standardised
scores) or the authors' (their code: the [CLS] token's last hidden state into Linear(hidden, 50), ReLU,
Dropout(0.4), Linear(50, 1), ReLU, on the raw 1-7 scores; ``track1_head: authors``).

Both are fitted to a ``*ForSequenceClassification`` model: the authors' head replaces its pooler by the
[CLS] state and its ``classifier`` by their layers, so the Trainer, checkpoints and ``save_pretrained`` work as
they do for the linear head. :func:`load` rebuilds the same modules before the saved weights are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import PreTrainedModel

HEADS = ("linear", "authors")
AUTHORS_HIDDEN, AUTHORS_DROPOUT = 50, 0.4


class FirstToken(torch.nn.Module):
    """A pooler that hands on the [CLS] token's last hidden state unchanged."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return hidden_states[:, 0]


def check(head: str) -> str:
    if head not in HEADS:
        raise ValueError(f"track1_head: must be one of {', '.join(HEADS)}, got {head!r}")
    return head


def standardises(head: str) -> bool:
    """Whether the head is trained on standardised scores (the linear head) or on the raw scores (the
    authors', whose last ReLU keeps its outputs at or above 0)."""
    return check(head) == "linear"


def fit(model: PreTrainedModel, head: str) -> PreTrainedModel:
    """``model`` (a ``*ForSequenceClassification``) with ``head``; the linear head is the model's own."""
    if check(head) == "linear":
        return model
    base = model.base_model
    if hasattr(base, "pooler_activation"):  # ALBERT: pooler_activation(pooler(hidden[:, 0]))
        base.pooler, base.pooler_activation = torch.nn.Identity(), torch.nn.Identity()
    elif isinstance(getattr(base, "pooler", None), torch.nn.Module):  # BERT and its kin: pooler(hidden)
        base.pooler = FirstToken()
    else:
        raise ValueError(
            f"track1_head authors: needs an encoder with a pooler over [CLS] (BERT, ALBERT); "
            f"{type(model).__name__} has none"
        )
    if isinstance(getattr(model, "dropout", None), torch.nn.Dropout):
        model.dropout = torch.nn.Identity()  # the authors' layers start from the [CLS] state itself
    model.classifier = torch.nn.Sequential(
        torch.nn.Linear(model.config.hidden_size, AUTHORS_HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Dropout(AUTHORS_DROPOUT),
        torch.nn.Linear(AUTHORS_HIDDEN, model.config.num_labels),
        torch.nn.ReLU(),
    )
    return model


def load(directory: Path, head: str) -> PreTrainedModel:
    """A fine-tuned encoder saved with ``save_pretrained``, its ``head`` rebuilt before the weights are read."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    if check(head) == "linear":
        return AutoModelForSequenceClassification.from_pretrained(directory)
    from safetensors.torch import load_file

    model = fit(AutoModelForSequenceClassification.from_config(AutoConfig.from_pretrained(directory)), head)
    model.load_state_dict(load_file(Path(directory) / "model.safetensors"))
    return model.eval()
