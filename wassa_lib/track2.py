"""Track 2: emotion by classification or by label generation (paper §4.2 and Table 4).

Two families on the same data and split:

* **classification** (the paper's BERT/ALBERT baselines): the encoder's pooled
  ``[CLS]`` output into one linear layer, trained with binary cross-entropy over
  one-hot labels (``problem_type="multi_label_classification"``); the prediction
  is the arg-max over the seven outputs.
* **generation** (the paper's T5/Pegasus system): the essay in, ``label + eos``
  out, negative log-likelihood, :class:`~transformers.Seq2SeqTrainer`. Where the
  tokenizer keeps the label as one word piece (MiniLM, the tiny WordPiece) the
  target is the paper's 2-token sequence; T5's SentencePiece may split a label
  into a few pieces, and the target is then those pieces plus ``eos``.

**Decoding rule.** A generation model's prediction is the label whose sequence
``label tokens + eos`` has the highest sum of token log-likelihoods given the
essay, among the candidate labels (the seven WASSA labels): constrained, so it is
always a valid label. Free greedy generation is run as well, only to count the
outputs that are *not* exactly one of the candidate labels after stripping
whitespace and lowercasing (``invalid_generations``); those strings are reported,
never used as predictions.

**Task-specific incremental fine-tuning.** Stage 1 fine-tunes the base model on
the CARER emotion data (labels sadness, joy, love, anger, fear, surprise); stage
2 fine-tunes that model on WASSA, which teaches the label words ``neutral`` and
``disgust`` as new targets. At WASSA prediction time only the seven WASSA labels
are scored, so ``love`` can never be predicted. The stage runs for generation
models only: a classifier's six-way CARER head would be thrown away in stage 2.

Checkpoints are selected on the validation part of the paper's 80/20 split of
the training file, by validation macro-F1 (for generation: of the label-scoring
predictions). The dev set is only predicted, never used for selection during
training; the model written to ``selection.json`` is the one with the best dev
macro-F1, which is the paper's practice (it reports dev as its test set), so
that model's dev number is optimistic.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from transformers import (DataCollatorForSeq2Seq, DataCollatorWithPadding, EvalPrediction, PreTrainedModel,
                          PreTrainedTokenizerBase, Seq2SeqTrainer, Trainer)
from transformers.modeling_outputs import BaseModelOutput

from . import paper
from .carer import CARER_LABELS, CarerSplits
from .config import TrainingConfig
from .data import EMOTIONS, subsample
from .metrics import EmotionScores, bootstrap_ci, emotion_scores, macro_f1
from .models import load_model
from .training import sorted_batches, tokenize_frame, train, training_arguments

FAMILIES = ("classification", "generation")
TRACK2_DIR = "track2"
SELECTION_FILE = "selection.json"
MODEL_DIR = "model"
STAGE1_DIR = "stage1_carer"
CHECKPOINT_DIR = "checkpoints"
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "dev_predictions.csv"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MODEL_KEYS = {"name", "family", "model", "incremental", "paper_row", "training"}


# --- configuration -------------------------------------------------------------------------------

@dataclass
class Track2Model:
    """One row of Table 4: a model family, its base model spec and its training settings."""

    name: str
    family: str
    training: TrainingConfig
    incremental: bool = False
    paper_row: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"model name must be a plain folder name (letters, digits, . _ -), got {self.name!r}")
        if self.family not in FAMILIES:
            raise ValueError(f"{self.name}: family must be one of {FAMILIES}, got {self.family!r}")
        if self.incremental and self.family != "generation":
            raise ValueError(f"{self.name}: incremental fine-tuning is run for the generation family only")
        if self.paper_row is not None and self.paper_row not in paper.TABLE4:
            raise ValueError(f"{self.name}: paper_row must be one of {', '.join(paper.TABLE4)} or null, "
                             f"got {self.paper_row!r}")

    @property
    def model(self) -> str:
        """The base model spec (see :mod:`wassa_lib.models`)."""
        return self.training.model

    @classmethod
    def from_params(cls, entry: dict, seed: int = 42) -> "Track2Model":
        """Build from one ``track2_models`` entry: name, family, model, incremental, paper_row, training."""
        unknown = sorted(set(entry) - _MODEL_KEYS)
        missing = sorted({"name", "family", "model"} - set(entry))
        if unknown or missing:
            raise ValueError(f"track2_models entry {entry.get('name', '?')!r}: "
                             + "; ".join(filter(None, [unknown and f"unknown key(s) {', '.join(unknown)}",
                                                       missing and f"missing key(s) {', '.join(missing)}"])))
        training = entry.get("training") or {}
        if "model" in training:
            raise ValueError(f"track2_models entry {entry['name']!r}: name the model beside training, not in it")
        training = TrainingConfig.from_params({"model": entry["model"], **training}, seed)
        return cls(name=entry["name"], family=entry["family"], training=training,
                   incremental=bool(entry.get("incremental", False)), paper_row=entry.get("paper_row"))


@dataclass
class IncrementalConfig:
    """Stage 1 of incremental fine-tuning: training settings and how many CARER lines to use (None = all)."""

    training: dict = field(default_factory=dict)
    max_train_samples: int | None = None
    max_valid_samples: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_train_samples", "max_valid_samples"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"track2_incremental.{name} must be positive or null, got {value!r}")
        if "model" in self.training:
            raise ValueError("track2_incremental.training must not name a model: stage 1 starts from each "
                             "incremental model's own base")
        self.training_for("check")

    def training_for(self, model: str, seed: int = 42) -> TrainingConfig:
        """Stage-1 training settings starting from ``model``."""
        return TrainingConfig.from_params({"model": model, **self.training}, seed)

    def data(self, carer: CarerSplits, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
        """CARER train and validation lines for stage 1, subsampled per label where capped."""
        return subsample(carer.train, self.max_train_samples, seed), subsample(carer.val, self.max_valid_samples, seed)


# --- label text and the invalid-output rule --------------------------------------------------------

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


# --- batched inference ------------------------------------------------------------------------------

@torch.inference_mode()
def predict_classifier(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, essays: Sequence[str],
                       max_length: int = 256, batch_size: int = 64) -> list[str]:
    """Arg-max label per essay (labels from ``model.config.id2label``), in the input order."""
    model.eval()
    out: list[str] = [""] * len(essays)
    for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
        for i, j in zip(idx, model(**batch).logits.argmax(-1).tolist()):
            out[i] = model.config.id2label[j]
    return out


@torch.inference_mode()
def score_labels(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, essays: Sequence[str],
                 labels: Sequence[str] = EMOTIONS, max_length: int = 256, batch_size: int = 64) -> np.ndarray:
    """``(essays, labels)`` sums of token log-likelihoods of ``label + eos`` given each essay.

    Each batch runs the encoder once and the decoder on every label sequence.
    """
    model.eval()
    targets = label_targets(tokenizer, labels, eos_token_id(model, tokenizer))
    k, width = len(targets), max(map(len, targets))
    target = torch.full((k, width), -100, dtype=torch.long, device=model.device)
    for row, ids in enumerate(targets):
        target[row, :len(ids)] = torch.tensor(ids)
    scores = np.empty((len(essays), k))
    for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
        hidden = model.get_encoder()(**batch).last_hidden_state
        n = len(idx)
        labels_batch = target.repeat(n, 1)
        logits = model(encoder_outputs=BaseModelOutput(last_hidden_state=hidden.repeat_interleave(k, 0)),
                       attention_mask=batch["attention_mask"].repeat_interleave(k, 0), labels=labels_batch).logits
        logp = logits.float().log_softmax(-1).gather(-1, labels_batch.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        scores[idx] = (logp * (labels_batch != -100)).sum(-1).view(n, k).cpu().numpy()
    return scores


def predict_generation(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, essays: Sequence[str],
                       labels: Sequence[str] = EMOTIONS, max_length: int = 256, batch_size: int = 64) -> list[str]:
    """The best-scoring label per essay (see :func:`score_labels`): always one of ``labels``."""
    scores = score_labels(model, tokenizer, essays, labels, max_length, batch_size)
    return [labels[j] for j in scores.argmax(1)]


@torch.inference_mode()
def generate_free(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, essays: Sequence[str],
                  labels: Sequence[str] = EMOTIONS, max_length: int = 256, batch_size: int = 64) -> list[str]:
    """Unconstrained greedy outputs, decoded without special tokens, in the input order.

    Room is left for two tokens beyond the longest label sequence, so an output
    that runs on is seen as invalid rather than cut to a valid prefix.
    """
    model.eval()
    new_tokens = max(map(len, label_targets(tokenizer, labels, eos_token_id(model, tokenizer)))) + 2
    out: list[str] = [""] * len(essays)
    for idx, batch in sorted_batches(tokenizer, essays, max_length, batch_size, model.device):
        generated = model.generate(**batch, max_new_tokens=new_tokens, num_beams=1, do_sample=False)
        for i, text in zip(idx, tokenizer.batch_decode(generated, skip_special_tokens=True)):
            out[i] = text
    return out


# --- training -------------------------------------------------------------------------------------

def one_hot(emotions: Sequence[str], labels: Sequence[str] = EMOTIONS) -> list[list[float]]:
    """Float one-hot vectors: the BCE targets of the classification head."""
    index = {label: i for i, label in enumerate(labels)}
    return [[float(index[e] == j) for j in range(len(labels))] for e in emotions]


def _classification_metrics(prediction: EvalPrediction) -> dict[str, float]:
    gold = np.asarray(EMOTIONS)[np.asarray(prediction.label_ids).argmax(-1)]
    pred = np.asarray(EMOTIONS)[np.asarray(prediction.predictions).argmax(-1)]
    return {"macro_f1": macro_f1(gold, pred)}


class LabelScoringTrainer(Seq2SeqTrainer):
    """A Seq2SeqTrainer whose evaluation scores every candidate label on the validation texts.

    ``eval_macro_f1`` is the official macro-F1 of the best-scoring labels (the
    checkpoint-selection metric); ``eval_loss`` is the gold label's mean token NLL.
    """

    def __init__(self, *args, valid: pd.DataFrame, labels: Sequence[str], max_length: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.valid, self.labels, self.max_length = valid, tuple(labels), max_length

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval",
                 **gen_kwargs) -> dict[str, float]:
        tokenizer = self.processing_class
        scores = score_labels(self.model, tokenizer, list(self.valid["essay"]), self.labels, self.max_length,
                              self.args.per_device_eval_batch_size)
        gold_idx = self.valid["emotion"].map({label: i for i, label in enumerate(self.labels)}).to_numpy()
        lengths = np.array([len(t) for t in label_targets(tokenizer, self.labels,
                                                          eos_token_id(self.model, tokenizer))])
        nll = -scores[np.arange(len(gold_idx)), gold_idx] / lengths[gold_idx]
        pred = np.asarray(self.labels)[scores.argmax(1)]
        metrics = {f"{metric_key_prefix}_loss": float(nll.mean()),
                   f"{metric_key_prefix}_macro_f1": macro_f1(self.valid["emotion"].to_numpy(), pred)}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def _finish(trainer: Trainer, out_dir: Path) -> None:
    """Save the reloaded best model and its tokenizer to ``out_dir/model``; drop the checkpoints."""
    trainer.save_model(str(out_dir / MODEL_DIR))
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)


def train_classifier(cfg: TrainingConfig, fit: pd.DataFrame, valid: pd.DataFrame, out_dir: Path,
                     resume: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, float, dict]:
    """Fine-tune ``cfg.model`` with a 7-way BCE head; returns the best model (by validation macro-F1),
    its tokenizer, that validation macro-F1 and the training throughput. The model is saved to
    ``out_dir/model``."""
    model, tokenizer = load_model(cfg.model, "classification", num_labels=len(EMOTIONS), corpus=list(fit["essay"]),
                                  seed=cfg.seed)
    model.config.id2label = dict(enumerate(EMOTIONS))
    model.config.label2id = {label: i for i, label in enumerate(EMOTIONS)}
    datasets = [tokenize_frame(df.assign(labels=one_hot(df["emotion"])), tokenizer, cfg.max_length, ["labels"])
                for df in (fit, valid)]
    trainer = Trainer(model=model, args=training_arguments(cfg, out_dir / CHECKPOINT_DIR, "macro_f1"),
                      train_dataset=datasets[0], eval_dataset=datasets[1], processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=_classification_metrics)
    training = train(trainer, cfg, out_dir / CHECKPOINT_DIR, resume)
    _finish(trainer, out_dir)
    return trainer.model, tokenizer, float(trainer.state.best_metric), training


def train_generator(cfg: TrainingConfig, fit: pd.DataFrame, valid: pd.DataFrame, out_dir: Path,
                    labels: Sequence[str] = EMOTIONS, resume: bool = False, corpus: Sequence[str] | None = None
                    ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, float, dict]:
    """Fine-tune the seq2seq model ``cfg.model`` to emit ``label + eos``; returns the best model (by
    validation macro-F1 of label scoring over ``labels``), its tokenizer, that macro-F1 and the
    training throughput.

    ``corpus`` trains the tokenizer of a tiny model (default: the ``fit`` texts). The
    model is saved to ``out_dir/model``.
    """
    model, tokenizer = load_model(cfg.model, "seq2seq", corpus=list(corpus if corpus is not None else fit["essay"]),
                                  seed=cfg.seed)
    targets = dict(zip(labels, label_targets(tokenizer, labels, eos_token_id(model, tokenizer))))
    datasets = [tokenize_frame(df.assign(labels=df["emotion"].map(targets)), tokenizer, cfg.max_length, ["labels"])
                for df in (fit, valid)]
    trainer = LabelScoringTrainer(
        model=model, args=training_arguments(cfg, out_dir / CHECKPOINT_DIR, "macro_f1", seq2seq=True),
        train_dataset=datasets[0], eval_dataset=datasets[1], processing_class=tokenizer,
        data_collator=DataCollatorForSeq2Seq(tokenizer), valid=valid, labels=labels,
        max_length=cfg.max_length)
    training = train(trainer, cfg, out_dir / CHECKPOINT_DIR, resume)
    _finish(trainer, out_dir)
    return trainer.model, tokenizer, float(trainer.state.best_metric), training


def _saved_result(folder: Path, settings: dict) -> dict | None:
    """``folder/result.json`` when it was written with these ``settings``, else None (train afresh)."""
    path = folder / RESULT_FILE
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("settings") != json.loads(json.dumps(settings)):
        print(f"{folder}: saved with other settings; training again")
        return None
    return record


def train_stage1(base: str, carer: CarerSplits, incremental: IncrementalConfig, out_dir: Path, seed: int = 42,
                 resume: bool = False, corpus: Sequence[str] = ()) -> tuple[Path, dict]:
    """Stage 1 of incremental fine-tuning: ``base`` on CARER (its six labels), saved to ``out_dir/model``.

    Returns the saved model's folder and a summary (CARER lines used, CARER validation
    macro-F1, seconds, settings), also written to ``out_dir/result.json``; with ``resume`` a
    finished stage 1 with the same settings is reused. ``corpus`` adds texts to a tiny model's
    tokenizer (the WASSA essays, so stage 2 reads them too).
    """
    settings = {**dataclasses.asdict(incremental), "base": base, "seed": seed}
    saved = _saved_result(out_dir, settings) if resume else None
    if saved is not None:
        return out_dir / MODEL_DIR, saved
    start = time.perf_counter()
    lines, valid_lines = incremental.data(carer, seed)
    _, _, valid_f1, training = train_generator(incremental.training_for(base, seed), lines, valid_lines, out_dir,
                                               CARER_LABELS, resume, corpus=[*lines["essay"], *corpus])
    summary = {"carer_train_lines": len(lines), "carer_valid_lines": len(valid_lines), "carer_valid_macro_f1": valid_f1,
               "seconds": round(time.perf_counter() - start, 1), "training": training, "settings": settings}
    (out_dir / RESULT_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return out_dir / MODEL_DIR, summary


# --- one Table-4 row ------------------------------------------------------------------------------

@dataclass
class ModelResult:
    """What one model of Table 4 gave on dev."""

    spec: Track2Model
    predictions: list[str]
    scores: EmotionScores
    valid_macro_f1: float
    seconds: float
    invalid_generations: int | None = None
    generated: list[str] | None = None
    stage1: dict | None = None
    training: dict | None = None

    def save(self, folder: Path, dev: pd.DataFrame, settings: dict) -> None:
        """``result.json`` (scores, timings, the ``settings`` it was trained with) and ``dev_predictions.csv``
        (gold, predicted, generated)."""
        folder.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame({"message_id": dev["message_id"].to_numpy(), "gold": dev["emotion"].to_numpy(),
                              "predicted": self.predictions})
        if self.generated is not None:
            frame["generated"] = self.generated
        frame.to_csv(folder / PREDICTIONS_FILE, index=False)
        record = {"scores": self.scores, "valid_macro_f1": self.valid_macro_f1, "seconds": self.seconds,
                  "invalid_generations": self.invalid_generations, "stage1": self.stage1, "training": self.training,
                  "settings": settings}
        (folder / RESULT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, spec: Track2Model, folder: Path, record: dict) -> "ModelResult":
        """The result saved in ``folder`` (``record``: its ``result.json``)."""
        frame = pd.read_csv(folder / PREDICTIONS_FILE, keep_default_na=False)
        return cls(spec=spec, predictions=list(frame["predicted"]), scores=record["scores"],
                   valid_macro_f1=record["valid_macro_f1"], seconds=record["seconds"],
                   invalid_generations=record["invalid_generations"],
                   generated=list(frame["generated"]) if "generated" in frame else None, stage1=record["stage1"],
                   training=record.get("training"))


def run_model(spec: Track2Model, fit: pd.DataFrame, valid: pd.DataFrame, dev: pd.DataFrame, root: Path,
              carer: CarerSplits | None = None, incremental: IncrementalConfig | None = None,
              resume: bool = False) -> ModelResult:
    """Train one model (both stages where incremental), predict every dev essay, save under ``root/<name>``.

    With ``resume``, a model whose results were saved with the same settings is read back
    instead of retrained (an interrupted training resumes from its last checkpoint).
    """
    folder = root / spec.name
    settings = {**dataclasses.asdict(spec), "essays": {"fit": len(fit), "valid": len(valid), "dev": len(dev)}}
    saved = _saved_result(folder, settings) if resume else None
    if saved is not None:
        print(f"{spec.name}: results of an earlier run reused")
        return ModelResult.load(spec, folder, saved)
    start = time.perf_counter()
    cfg, essays, stage1 = spec.training, list(dev["essay"]), None
    if spec.family == "classification":
        model, tokenizer, valid_f1, training = train_classifier(cfg, fit, valid, folder, resume)
        predictions = predict_classifier(model, tokenizer, essays, cfg.max_length, cfg.eval_batch_size)
        generated = invalid = None
    else:
        if spec.incremental:
            if carer is None or incremental is None:
                raise ValueError(f"{spec.name}: incremental fine-tuning needs the CARER data and track2_incremental")
            stage1_model, stage1 = train_stage1(cfg.model, carer, incremental, folder / STAGE1_DIR, cfg.seed,
                                                resume, corpus=list(fit["essay"]))
            print(f"{spec.name}: stage 1 on {stage1['carer_train_lines']} CARER lines, validation macro-F1 "
                  f"{stage1['carer_valid_macro_f1']:.4f}, {stage1['seconds']:.0f} s")
            cfg = dataclasses.replace(cfg, model=str(stage1_model))
        model, tokenizer, valid_f1, training = train_generator(cfg, fit, valid, folder, EMOTIONS, resume)
        predictions = predict_generation(model, tokenizer, essays, EMOTIONS, cfg.max_length, cfg.eval_batch_size)
        generated = generate_free(model, tokenizer, essays, EMOTIONS, cfg.max_length, cfg.eval_batch_size)
        invalid = count_invalid(generated)
    result = ModelResult(spec=spec, predictions=predictions, scores=emotion_scores(dev["emotion"], predictions),
                         valid_macro_f1=valid_f1, seconds=round(time.perf_counter() - start, 1),
                         invalid_generations=invalid, generated=generated, stage1=stage1, training=training)
    result.save(folder, dev, settings)
    extra = "" if invalid is None else f", {invalid} invalid free generations"
    print(f"{spec.name}: dev macro-F1 {result.scores['macro_f1']:.4f}{extra}, {result.seconds:.0f} s")
    return result


# --- Table 4, selection, prediction -------------------------------------------------------------

def table4(results: Sequence[ModelResult]) -> pd.DataFrame:
    """One row per model: dev scores beside the paper's macro-F1 for the paper model the row stands for.

    ``invalid_generations`` is empty (NA) for classifiers: an arg-max over seven
    outputs cannot produce anything but a label.
    """
    rows = []
    for r in results:
        s = r.spec
        rows.append({
            "model": s.name, "family": s.family, "base": s.model, "incremental": s.incremental,
            "paper_model": s.paper_row, "paper_macro_f1": paper.TABLE4.get(s.paper_row, np.nan),
            "valid_macro_f1": r.valid_macro_f1, "macro_f1": r.scores["macro_f1"], "accuracy": r.scores["accuracy"],
            "macro_precision": r.scores["macro_precision"], "macro_recall": r.scores["macro_recall"],
            "invalid_generations": r.invalid_generations, "train_s": r.seconds,
            **{f"f1_{label}": r.scores["per_class_f1"].get(label, 0.0) for label in EMOTIONS},
        })
    table = pd.DataFrame(rows)
    table["invalid_generations"] = table["invalid_generations"].astype("Int64")
    return table


def incremental_effect(results: Sequence[ModelResult], gold: Sequence[str], n_resamples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """Each generation base run both without and with the CARER stage: dev macro-F1 of the two, the gain,
    and a 95% paired bootstrap interval of the gain over the dev essays."""
    pairs: dict[str, dict[bool, ModelResult]] = {}
    for r in results:
        if r.spec.family == "generation":
            pairs.setdefault(r.spec.model, {})[r.spec.incremental] = r
    rows = []
    for base, pair in pairs.items():
        if set(pair) != {False, True}:
            continue
        without, with_ = pair[False], pair[True]
        gain, low, high = bootstrap_ci(lambda g, a, b: macro_f1(g, b) - macro_f1(g, a), np.asarray(gold),
                                       np.asarray(without.predictions), np.asarray(with_.predictions),
                                       n_resamples=n_resamples, seed=seed)
        rows.append({"base": base, "without": without.spec.name, "with": with_.spec.name,
                     "macro_f1_without": without.scores["macro_f1"], "macro_f1_with": with_.scores["macro_f1"],
                     "gain": round(gain, 4), "gain_ci_low": round(low, 4), "gain_ci_high": round(high, 4)})
    return pd.DataFrame(rows, columns=["base", "without", "with", "macro_f1_without", "macro_f1_with", "gain",
                                       "gain_ci_low", "gain_ci_high"])


def training_throughput(results: Sequence[ModelResult]) -> dict[str, dict]:
    """The training throughput of every model (and of its CARER stage), keyed ``track2_<name>``,
    as the benchmark reads it from the notebook's metrics."""
    found = {}
    for r in results:
        if r.stage1 and r.stage1.get("training"):
            found[f"track2_{r.spec.name}_stage1"] = r.stage1["training"]
        if r.training:
            found[f"track2_{r.spec.name}"] = r.training
    return found


def select_best(results: Sequence[ModelResult], root: Path) -> ModelResult:
    """The model with the best dev macro-F1 (the paper's practice), written to ``root/selection.json``."""
    best = max(results, key=lambda r: r.scores["macro_f1"])
    selection = {"model": best.spec.name, "family": best.spec.family, "base": best.spec.model,
                 "incremental": best.spec.incremental, "path": f"{best.spec.name}/{MODEL_DIR}",
                 "labels": list(EMOTIONS), "max_length": best.spec.training.max_length,
                 "batch_size": best.spec.training.eval_batch_size, "dev_macro_f1": best.scores["macro_f1"],
                 "selected_by": "dev macro-F1 (the paper's practice; optimistic for the selected model)"}
    root.mkdir(parents=True, exist_ok=True)
    (root / SELECTION_FILE).write_text(json.dumps(selection, indent=2) + "\n", encoding="utf-8")
    return best


def _track2_root(run_dir: Path) -> Path:
    """The folder holding ``selection.json``: ``run_dir`` itself or ``run_dir/artifacts/track2``."""
    for folder in (run_dir, run_dir / "artifacts" / TRACK2_DIR):
        if (folder / SELECTION_FILE).is_file():
            return folder
    raise FileNotFoundError(f"{run_dir}: no {SELECTION_FILE} here or in artifacts/{TRACK2_DIR}; "
                            "run notebook 04 for this profile first")


def predict_emotions(run_dir: Path, essays: Sequence[str]) -> list[str]:
    """Emotion labels for ``essays`` from the model that notebook 04 selected in ``run_dir``.

    ``run_dir`` is a run folder (``outputs/<profile>``) or its ``artifacts/track2``.
    Batched, longest essays first, under ``torch.inference_mode()``; the labels come
    back in the order of ``essays``. Generation models predict by label scoring, so
    every output is one of the seven labels.
    """
    selection_file = _track2_root(Path(run_dir)).resolve() / SELECTION_FILE
    selection, model, tokenizer = _selected_model(selection_file, selection_file.stat().st_mtime_ns)
    if selection["family"] == "classification":
        return predict_classifier(model, tokenizer, essays, selection["max_length"], selection["batch_size"])
    return predict_generation(model, tokenizer, essays, tuple(selection["labels"]), selection["max_length"],
                              selection["batch_size"])


@lru_cache(maxsize=2)
def _selected_model(selection_file: Path, mtime_ns: int) -> tuple[dict, PreTrainedModel, PreTrainedTokenizerBase]:
    """The selection and its model on the best device, loaded once per selection file version."""
    selection = json.loads(selection_file.read_text(encoding="utf-8"))
    path = str(selection_file.parent / selection["path"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if selection["family"] == "classification":
        model, tokenizer = load_model(path, "classification", num_labels=len(selection["labels"]))
    else:
        model, tokenizer = load_model(path, "seq2seq")
    return selection, model.to(device), tokenizer
