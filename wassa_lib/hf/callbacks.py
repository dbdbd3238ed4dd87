"""Trainer callbacks of the kit's own: the attention kernel per phase on a CPU in bf16, and the dev score after
each epoch (recorded, never used for a choice)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import PreTrainedModel
from transformers.trainer_callback import TrainerCallback


class TrainingAttention(TrainerCallback):
    """On a CPU in bf16, the eager (matmul) attention while the model trains and its default kernel
    (scaled dot product) while it is evaluated: the fused kernel's backward pass is about 3x slower
    than eager there, its forward pass the faster one (``python -m wassa_lib bench`` times both)."""

    def __init__(self, model: PreTrainedModel) -> None:
        self.default = model.config._attn_implementation

    def on_epoch_begin(self, args, state, control, model=None, **kwargs):
        model.set_attn_implementation("eager")

    def on_epoch_end(self, args, state, control, model=None, **kwargs):
        model.set_attn_implementation(self.default)


class DevMonitor(TrainerCallback):
    """After each validation, ``score(model)`` on the dev set, recorded and never used for a choice: what the
    authors' code, which chose epochs on dev, would have seen. The scores go into the Trainer's log history as
    ``dev_<name>`` (saved with every checkpoint, so a resumed training keeps the earlier epochs')."""

    def __init__(self, score: Callable[[torch.nn.Module], dict[str, float]]) -> None:
        self.score = score

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        was_training = model.training
        state.log_history.append(
            {"epoch": state.epoch, **{f"dev_{k}": round(float(v), 4) for k, v in self.score(model).items()}}
        )
        model.train(was_training)

    @staticmethod
    def by_epoch(log_history: list[dict]) -> list[dict[str, float]]:
        """The dev scores of each epoch, from a Trainer's log history."""
        return [
            {k.removeprefix("dev_"): v for k, v in entry.items() if k.startswith("dev_")}
            for entry in log_history
            if any(k.startswith("dev_") for k in entry)
        ]
