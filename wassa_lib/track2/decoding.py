"""Track-2 label text and inference: label targets, the invalid-output rule, batched prediction.

**Decoding rule.** A generation model's prediction is the label whose sequence
``label tokens + eos`` has the highest sum of token log-likelihoods given the
essay, among the candidate labels: constrained, so it is always a valid label.
Free greedy generation is run as well, only to count the outputs that are *not*
exactly one of the candidate labels after stripping whitespace and lowercasing
(``invalid_generations``); those strings are reported, never used as predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.modeling_outputs import BaseModelOutput

from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.hf.training import autocast, sorted_batches


def eos_token_id(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    """The id that ends a generated label: the model's generation EOS, else the tokenizer's."""
    eos = model.generation_config.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos
    eos = eos if eos is not None else tokenizer.eos_token_id
    if eos is None:
        raise ValueError("neither the model nor the tokenizer defines an end-of-sequence token")
    return int(eos)


def label_targets(tokenizer: PreTrainedTokenizerBase, labels: Sequence[str], eos_id: int) -> list[list[int]]:
    """Decoder target per label: the label's tokens (no specials) followed by ``eos_id``."""
    return [tokenizer(label, add_special_tokens=False)["input_ids"] + [eos_id] for label in labels]


def parse_generation(text: str, labels: Sequence[str] = EMOTIONS) -> str | None:
    """The label a generated string names, or None when it is invalid.

    Rule: strip surrounding whitespace and lowercase; the string is valid only if
    it is then exactly one of ``labels`` (``"Joy "`` → ``joy``; ``"joyful"``,
    ``"love"`` for WASSA, ``""`` or ``"joy joy"`` → None).
    """
    cleaned = text.strip().lower()
    return cleaned if cleaned in labels else None


def count_invalid(texts: Sequence[str], labels: Sequence[str] = EMOTIONS) -> int:
    """How many generated strings are not one of ``labels`` under :func:`parse_generation`."""
    return sum(parse_generation(t, labels) is None for t in texts)


@torch.inference_mode()
def predict_classifier(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    essays: Sequence[str],
    max_length: int = 256,
    batch_size: int = 64,
    precision: str = "auto",
) -> list[str]:
    """Arg-max label per essay (labels from ``model.config.id2label``), in the input order; ``precision``
    as :func:`wassa_lib.hf.training.choose_precision` reads it."""
    model.eval()
    out: list[str] = [""] * len(essays)
    with autocast(model.device.type, precision):
        for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
            for i, j in zip(idx, model(**batch).logits.float().argmax(-1).tolist()):
                out[i] = model.config.id2label[j]
    return out


@torch.inference_mode()
def score_labels(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    essays: Sequence[str],
    labels: Sequence[str] = EMOTIONS,
    max_length: int = 256,
    batch_size: int = 64,
    precision: str = "auto",
) -> np.ndarray:
    """``(essays, labels)`` sums of token log-likelihoods of ``label + eos`` given each essay.

    Each batch runs the encoder once and the decoder on every label sequence.
    """
    model.eval()
    targets = label_targets(tokenizer, labels, eos_token_id(model, tokenizer))
    k, width = len(targets), max(map(len, targets))
    target = torch.full((k, width), -100, dtype=torch.long, device=model.device)
    for row, ids in enumerate(targets):
        target[row, : len(ids)] = torch.tensor(ids)
    scores = np.empty((len(essays), k))
    with autocast(model.device.type, precision):
        for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
            hidden = model.get_encoder()(**batch).last_hidden_state
            n = len(idx)
            labels_batch = target.repeat(n, 1)
            logits = model(
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden.repeat_interleave(k, 0)),
                attention_mask=batch["attention_mask"].repeat_interleave(k, 0),
                labels=labels_batch,
            ).logits
            logp = logits.float().log_softmax(-1).gather(-1, labels_batch.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            scores[idx] = (logp * (labels_batch != -100)).sum(-1).view(n, k).cpu().numpy()
    return scores


def predict_generation(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    essays: Sequence[str],
    labels: Sequence[str] = EMOTIONS,
    max_length: int = 256,
    batch_size: int = 64,
    precision: str = "auto",
) -> list[str]:
    """The best-scoring label per essay (see :func:`score_labels`): always one of ``labels``."""
    scores = score_labels(model, tokenizer, essays, labels, max_length, batch_size, precision)
    return [labels[j] for j in scores.argmax(1)]


@torch.inference_mode()
def generate_free(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    essays: Sequence[str],
    labels: Sequence[str] = EMOTIONS,
    max_length: int = 256,
    batch_size: int = 64,
    precision: str = "auto",
) -> list[str]:
    """Unconstrained greedy outputs, decoded without special tokens, in the input order.

    Room is left for two tokens beyond the longest label sequence, so an output
    that runs on is seen as invalid rather than cut to a valid prefix.
    """
    model.eval()
    new_tokens = max(map(len, label_targets(tokenizer, labels, eos_token_id(model, tokenizer)))) + 2
    out: list[str] = [""] * len(essays)
    with autocast(model.device.type, precision):
        for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
            generated = model.generate(**batch, max_new_tokens=new_tokens, num_beams=1, do_sample=False)
            for i, text in zip(idx, tokenizer.batch_decode(generated, skip_special_tokens=True)):
                out[i] = text
    return out


def one_hot(emotions: Sequence[str], labels: Sequence[str] = EMOTIONS) -> list[list[float]]:
    """Float one-hot vectors: the BCE targets of the classification head."""
    index = {label: i for i, label in enumerate(labels)}
    return [[float(index[e] == j) for j in range(len(labels))] for e in emotions]
