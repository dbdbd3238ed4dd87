"""Track-2 training: the classifier, the label generator, the CARER stage, and one Table-4 row end to end.

**Task-specific incremental fine-tuning.** Stage 1 fine-tunes the base model on
the CARER emotion data (labels sadness, joy, love, anger, fear, surprise); stage
2 fine-tunes that model on WASSA, which teaches the label words ``neutral`` and
``disgust`` as new targets. At WASSA prediction time only the seven WASSA labels
are scored, so ``love`` can never be predicted.

Checkpoints are selected on the validation part of the split of the training file,
by validation macro-F1 (for generation: of the label-scoring predictions). The dev
set is only predicted, never used during training.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from transformers import (
    DataCollatorForSeq2Seq,
    DataCollatorWithPadding,
    EvalPrediction,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Seq2SeqTrainer,
    Trainer,
)

from wassa_lib.data.carer import CARER_LABELS, CarerSplits
from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.hf.models import load_model
from wassa_lib.hf.saved import file_sizes, write_record
from wassa_lib.hf.training import (
    checkpoint_dir,
    is_main_process,
    reusable_record,
    set_attention_dropout,
    tokenize_frame,
    train,
    training_arguments,
    wait_for_everyone,
)
from wassa_lib.hf.training_record import TrainingRecord
from wassa_lib.scoring.scorer import macro_f1
from wassa_lib.settings.configs import TrainingConfig
from wassa_lib.settings.typed import from_fields
from wassa_lib.track2.classifier import PooledClassifier
from wassa_lib.track2.config import IncrementalConfig
from wassa_lib.track2.decoding import (
    eos_token_id,
    label_targets,
    one_hot,
    predict_classifier,
    predict_generation,
    score_labels,
)

logger = logging.getLogger(__name__)
MODEL_DIR = "model"
STAGE1_DIR = "carer_stage"
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "dev_predictions.csv"
TEST_PREDICTIONS_FILE = "test_predictions.csv"


def stage1_dir(root: Path, base: str) -> Path:
    """The CARER stage of base model ``base``: ``<root>/carer_stage/<base as a folder name>``, one per base,
    shared by every incremental row that starts from it (with and without the person features)."""
    return Path(root) / STAGE1_DIR / re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("_")


def stage1_model_name(base: str) -> str:
    """How a training record names the model an incremental row starts from: portable, unlike its folder."""
    return f"the CARER stage of {base}"


def stage1_key(base: str) -> str:
    """The key of a CARER stage's training record in notebook 04's record (one per base model)."""
    return f"track2_carer_stage_{stage1_dir(Path('.'), base).name}"


def _classification_metrics(prediction: EvalPrediction) -> dict[str, float]:
    gold = np.asarray(EMOTIONS)[np.asarray(prediction.label_ids).argmax(-1)]
    pred = np.asarray(EMOTIONS)[np.asarray(prediction.predictions).argmax(-1)]
    return {"macro_f1": macro_f1(gold, pred)}


class LabelScoringTrainer(Seq2SeqTrainer):
    """A Seq2SeqTrainer whose evaluation scores every candidate label on the validation texts.

    ``eval_macro_f1`` is the official macro-F1 of the best-scoring labels (the
    checkpoint-selection metric); ``eval_loss`` is the gold label's mean token NLL.
    """

    def __init__(
        self, *args, valid: pd.DataFrame, labels: Sequence[str], max_length: int, precision: str = "auto", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.valid, self.labels, self.max_length, self.precision = valid, tuple(labels), max_length, precision

    def evaluate(
        self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval", **gen_kwargs
    ) -> dict[str, float]:
        tokenizer = self.processing_class
        scores = score_labels(
            self.model,
            tokenizer,
            list(self.valid["essay"]),
            self.labels,
            self.max_length,
            self.args.per_device_eval_batch_size,
            self.precision,
        )
        gold_idx = self.valid["emotion"].map({label: i for i, label in enumerate(self.labels)}).to_numpy()
        lengths = np.array([len(t) for t in label_targets(tokenizer, self.labels, eos_token_id(self.model, tokenizer))])
        nll = -scores[np.arange(len(gold_idx)), gold_idx] / lengths[gold_idx]
        pred = np.asarray(self.labels)[scores.argmax(1)]
        metrics = {
            f"{metric_key_prefix}_loss": float(nll.mean()),
            f"{metric_key_prefix}_macro_f1": macro_f1(self.valid["emotion"].to_numpy(), pred),
        }
        # The Trainer's own evaluate() would run a generation or loss loop over eval_dataset; label scoring needs
        # every candidate label per essay, so this override reports its metrics the way evaluate() does: log them
        # and fire on_evaluate, which early stopping and best-checkpoint tracking listen to (tests/test_track2.py
        # trains a generation row with patience and checks where it stopped, so a Trainer that stops reading these
        # metrics fails there).
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def _finish(trainer: Trainer, out_dir: Path) -> None:
    """Save the reloaded best model and its tokenizer to ``out_dir/model``; drop the checkpoints (the
    main process, once every process has reloaded the best one)."""
    wait_for_everyone()
    trainer.save_model(str(out_dir / MODEL_DIR))
    if is_main_process():
        shutil.rmtree(checkpoint_dir(out_dir), ignore_errors=True)
    wait_for_everyone()  # the saved model is complete before any process reads it (stage 2 starts from it)


def _dev_scorer(dev: pd.DataFrame | None, predict) -> Callable | None:
    """The dev macro-F1 of ``predict(model, essays)`` after each epoch, recorded and never used for a choice."""
    if dev is None:
        return None
    return lambda model: {
        "macro_f1": macro_f1(dev["emotion"].to_numpy(), np.asarray(predict(model, list(dev["essay"]))))
    }


def train_classifier(
    cfg: TrainingConfig,
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    out_dir: Path,
    resume: bool = False,
    label: str = "",
    pooling: str = "pooler",
    dev: pd.DataFrame | None = None,
) -> tuple[PooledClassifier, PreTrainedTokenizerBase, float, TrainingRecord]:
    """Fine-tune ``cfg.model`` with a 7-way BCE head on its ``pooling`` vector (:mod:`.classifier`); returns
    the best model (by validation macro-F1), its tokenizer, that validation macro-F1 and the training
    throughput. The model is saved to ``out_dir/model``; ``dev`` is scored after every epoch and recorded."""
    encoder, tokenizer = load_model(cfg.model, "embedding", corpus=list(fit["essay"]), seed=cfg.seed)
    set_attention_dropout(encoder, cfg.attention_dropout)
    model = PooledClassifier(encoder, EMOTIONS, pooling)
    datasets = [
        tokenize_frame(df.assign(labels=one_hot(df["emotion"])), tokenizer, cfg.max_length, ["labels"])
        for df in (fit, valid)
    ]
    trainer = Trainer(
        model=model,
        args=training_arguments(cfg, checkpoint_dir(out_dir), "macro_f1"),
        train_dataset=datasets[0],
        eval_dataset=datasets[1],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_classification_metrics,
    )
    training = train(
        trainer,
        cfg,
        checkpoint_dir(out_dir),
        resume,
        label,
        _dev_scorer(
            dev,
            lambda m, essays: predict_classifier(
                m, tokenizer, essays, cfg.max_length, cfg.eval_batch_size, cfg.precision
            ),
        ),
    )
    _finish(trainer, out_dir)
    if is_main_process():
        trainer.model.save(out_dir / MODEL_DIR)
    return trainer.model, tokenizer, float(trainer.state.best_metric), training


def train_generator(
    cfg: TrainingConfig,
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    out_dir: Path,
    labels: Sequence[str] = EMOTIONS,
    resume: bool = False,
    corpus: Sequence[str] | None = None,
    label: str = "",
    dev: pd.DataFrame | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, float, TrainingRecord]:
    """Fine-tune the seq2seq model ``cfg.model`` to emit ``label + eos``; returns the best model (by
    validation macro-F1 of label scoring over ``labels``), its tokenizer, that macro-F1 and the
    training throughput.

    ``corpus`` trains the tokenizer of a tiny model (default: the ``fit`` texts). The
    model is saved to ``out_dir/model``; ``dev`` is scored after every epoch and recorded.
    """
    model, tokenizer = load_model(
        cfg.model, "seq2seq", corpus=list(corpus if corpus is not None else fit["essay"]), seed=cfg.seed
    )
    set_attention_dropout(model, cfg.attention_dropout)
    targets = dict(zip(labels, label_targets(tokenizer, labels, eos_token_id(model, tokenizer))))
    datasets = [
        tokenize_frame(df.assign(labels=df["emotion"].map(targets)), tokenizer, cfg.max_length, ["labels"])
        for df in (fit, valid)
    ]
    trainer = LabelScoringTrainer(
        model=model,
        args=training_arguments(cfg, checkpoint_dir(out_dir), "macro_f1", seq2seq=True),
        train_dataset=datasets[0],
        eval_dataset=datasets[1],
        processing_class=tokenizer,
        data_collator=DataCollatorForSeq2Seq(tokenizer),
        valid=valid,
        labels=labels,
        max_length=cfg.max_length,
        precision=cfg.precision,
    )
    training = train(
        trainer,
        cfg,
        checkpoint_dir(out_dir),
        resume,
        label,
        _dev_scorer(
            dev,
            lambda m, essays: predict_generation(
                m, tokenizer, essays, labels, cfg.max_length, cfg.eval_batch_size, cfg.precision
            ),
        ),
    )
    _finish(trainer, out_dir)
    return trainer.model, tokenizer, float(trainer.state.best_metric), training


@dataclass(frozen=True)
class CarerStage:
    """What an incremental row's CARER stage left: the CARER lines it read, its CARER validation macro-F1, its
    time, its training record, and the settings that decide whether a later run may reuse it."""

    carer_train_lines: int
    carer_valid_lines: int
    carer_valid_macro_f1: float
    seconds: float
    training: TrainingRecord | None
    settings: dict

    @classmethod
    def from_dict(cls, data: dict, where: str) -> CarerStage:
        """The stage as its ``result.json`` (or a row's record) saved it; ``where`` names the file in errors."""
        data = {k: v for k, v in data.items() if k != "files"}
        training = data.get("training") and TrainingRecord.from_dict(data["training"], f"{where}: training")
        return from_fields(cls, data, where, training=training)


def train_stage1(
    base: str,
    carer: CarerSplits,
    incremental: IncrementalConfig,
    out_dir: Path,
    seed: int = 42,
    resume: bool = False,
    corpus: Sequence[str] = (),
    same_commit: bool = False,
) -> tuple[Path, CarerStage]:
    """Stage 1 of incremental fine-tuning: ``base`` on CARER (its six labels), saved to ``out_dir/model``.

    Returns the saved model's folder and its :class:`CarerStage`, also written to ``out_dir/result.json``; with
    ``resume`` a finished stage 1 with the same settings is reused (:func:`run_model` always reuses it: one
    stage per base model is shared by the rows of a run). ``corpus`` adds texts to a tiny model's
    tokenizer (the WASSA essays, so stage 2 reads them too).
    """
    settings = {
        **dataclasses.asdict(incremental),
        "training": incremental.training.settings(),
        "base": base,
        "seed": seed,
    }
    saved = reusable_record(out_dir / RESULT_FILE, settings, same_commit) if resume else None
    if saved is not None:
        return out_dir / MODEL_DIR, CarerStage.from_dict(saved, str(out_dir / RESULT_FILE))
    start = time.perf_counter()
    lines, valid_lines = incremental.data(carer, seed)
    _, _, valid_f1, training = train_generator(
        incremental.training_for(base),
        lines,
        valid_lines,
        out_dir,
        CARER_LABELS,
        resume,
        corpus=[*lines["essay"], *corpus],
        label=f"{out_dir.parent.name} CARER stage",
    )
    stage = CarerStage(
        carer_train_lines=len(lines),
        carer_valid_lines=len(valid_lines),
        carer_valid_macro_f1=valid_f1,
        seconds=round(time.perf_counter() - start, 1),
        training=training,
        settings=settings,
    )
    if is_main_process():
        files = file_sizes(out_dir, out_dir / MODEL_DIR, RESULT_FILE)
        write_record(out_dir / RESULT_FILE, {**dataclasses.asdict(stage), "files": files})
    return out_dir / MODEL_DIR, stage
