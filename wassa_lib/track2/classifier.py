"""The classification baseline of Table 4: an encoder, one pooled vector per essay, one linear layer, BCE over
one-hot labels.

The paper (§4.2) feeds the *pooled [CLS] output* into the linear layer (``pooling: pooler``, what
``BertForSequenceClassification`` does). A sentence-embedding model such as the cpu profile's
all-MiniLM-L6-v2 was trained through mean pooling: its pooler output hardly varies between essays
(a per-dimension spread of about 0.03 on the training essays), so a linear layer on it stays on the
label priors. ``cls`` reads the [CLS] token's last hidden state (what the authors' Track-1 code
reads) and ``mean`` the masked mean of the last hidden states (how that model was trained);
see :mod:`wassa_lib.hf.pooling`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig
from transformers.modeling_outputs import SequenceClassifierOutput

from wassa_lib.hf.pooling import check_pooling, pool

HEAD_FILE = "classifier.json"


class PooledClassifier(nn.Module):
    """``encoder → pool → dropout → linear`` over ``labels``; trained with BCE over one-hot targets."""

    def __init__(self, encoder: nn.Module, labels: Sequence[str], pooling: str = "pooler") -> None:
        super().__init__()
        check_pooling(pooling)
        self.encoder, self.pooling, self.labels = encoder, pooling, tuple(labels)
        config = encoder.config
        self.dropout = nn.Dropout(getattr(config, "classifier_dropout", None) or config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, len(self.labels))
        nn.init.normal_(self.classifier.weight, std=config.initializer_range)
        nn.init.zeros_(self.classifier.bias)
        config.id2label = dict(enumerate(self.labels))
        config.label2id = {label: i for i, label in enumerate(self.labels)}

    @property
    def config(self) -> PretrainedConfig:
        return self.encoder.config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def set_attn_implementation(self, implementation: str) -> None:
        """The encoder's attention kernel (:class:`wassa_lib.hf.callbacks.TrainingAttention` switches it)."""
        self.encoder.set_attn_implementation(implementation)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **_,
    ) -> SequenceClassifierOutput:
        kwargs = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        pooled = pool(out.last_hidden_state, attention_mask, self.pooling, getattr(out, "pooler_output", None))
        logits = self.classifier(self.dropout(pooled))
        loss = (
            None if labels is None else nn.functional.binary_cross_entropy_with_logits(logits.float(), labels.float())
        )
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def save(self, folder: Path) -> None:
        """The encoder's config and the head's settings beside the weights that the Trainer saved."""
        folder = Path(folder)
        self.encoder.config.save_pretrained(folder)
        (folder / HEAD_FILE).write_text(
            json.dumps({"pooling": self.pooling, "labels": list(self.labels)}) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> PooledClassifier:
        """A classifier saved by the Trainer (``model.safetensors``) and :meth:`save`."""
        folder = Path(folder)
        head = json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))
        model = cls(AutoModel.from_config(AutoConfig.from_pretrained(folder)), head["labels"], head["pooling"])
        model.load_state_dict(load_file(str(folder / "model.safetensors")))
        return model.eval()
