"""Where a fine-tuning's time goes: training steps, validation passes and checkpoint saves, and the
achieved training FLOP/s (model FLOPs utilisation against a measured peak)."""

from __future__ import annotations

import re
import time

import torch
from transformers import PreTrainedModel, TrainerCallback


def non_embedding_parameters(model: PreTrainedModel) -> int:
    """Parameters outside the token and position embeddings (and a tied LM head): the ones whose
    matrix products a token pays for."""
    embeddings = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in embeddings)


CROSS_ATTENTION_KV = re.compile(r"(crossattention\.self\.(key|value)|EncDecAttention\.[kv]\.|encoder_attn\.[kv]_proj)")


def training_flops(model: PreTrainedModel, tokens: int) -> float:
    """The usual estimate of one training pass over ``tokens`` input tokens: 6 x parameters a token passes
    through x tokens (forward 2, backward 4). For an encoder-decoder, an input token passes through the
    encoder and the decoder's cross-attention key and value projections; the decoder's other weights
    see only the few target tokens of a label and are left out."""
    if not getattr(model.config, "is_encoder_decoder", False):
        return 6.0 * non_embedding_parameters(model) * tokens
    cross = sum(p.numel() for name, p in model.named_parameters() if CROSS_ATTENTION_KV.search(name))
    return 6.0 * (non_embedding_parameters(model.get_encoder()) + cross) * tokens


class CostBreakdown(TrainerCallback):
    """Times validation and checkpoint saves inside ``trainer.train()``.

    The Trainer ends an epoch, then evaluates, then saves: the time from ``on_epoch_end`` to
    ``on_evaluate`` is one validation pass, from ``on_evaluate`` to ``on_save`` one save.
    """

    def __init__(self) -> None:
        self.validation_s: list[float] = []
        self.save_s: list[float] = []
        self._mark = 0.0

    def on_epoch_end(self, args, state, control, **kwargs):
        self._mark = time.perf_counter()

    def on_evaluate(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.validation_s.append(now - self._mark)
        self._mark = now

    def on_save(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.save_s.append(now - self._mark)
        self._mark = now

    def summary(self, train_seconds: float, steps: int, flops: float) -> dict:
        """Seconds per part and the achieved training FLOP/s of the steps alone."""
        validation, save = sum(self.validation_s), sum(self.save_s)
        steps_s = max(train_seconds - validation - save, 1e-9)
        return {
            "steps_seconds": round(steps_s, 2),
            "seconds_per_step": round(steps_s / max(steps, 1), 4),
            "validation_seconds": round(validation, 2),
            "validation_passes": len(self.validation_s),
            "save_seconds": round(save, 2),
            "saves": len(self.save_s),
            "training_flops": flops,
            "training_flops_per_second": round(flops / steps_s, 1),
        }


def matmul_peak_flops(size: int = 2048, repeats: int = 10, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of a large square matrix product on this machine's device: the practical peak that model
    FLOPs utilisation is measured against (vendor peaks are higher; this is what torch reaches)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 2.0 * size**3 * repeats / (time.perf_counter() - start)
