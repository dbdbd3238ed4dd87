"""Track 1: fine-tune one encoder per score and save the regressor notebook 03 selects.

The paper (Section 4.1) fine-tunes a pre-trained encoder separately for empathy
and for distress (a regression head, MSE loss, Adam at lr 2e-5), then
concatenates the two fine-tuned essay embeddings with the scaled person
features and feeds them to a regressor. This module covers the encoder side;
:mod:`wassa_lib.track1.features` builds the concatenated features,
:mod:`wassa_lib.track1.regressors` the regressors and :mod:`wassa_lib.track1.predict`
predicts from a finished run's artifacts.

Artifacts of a run, under ``<run folder>/artifacts/track1/``::

    empathy_model/, distress_model/   save_pretrained model + tokenizer (safetensors), track1.json
    encoders.json, embeddings/        the essays' embeddings (:mod:`wassa_lib.track1.embeddings`)
    best_regressor.joblib             the selected regressor pipeline (notebook 03)
    text_only_regressor.joblib        the same regressor without person features (notebook 03)
    as_run_regressors.joblib          the authors' system: one regressor per score over its own embedding (notebook 03)
    regressor_selection.json          which regressor was chosen (on validation) and its scores (notebook 03)
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers import (
    AutoTokenizer,
    DataCollatorWithPadding,
    EvalPrediction,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
)

from wassa_lib.data.wassa import SCORES
from wassa_lib.hf.models import load_model
from wassa_lib.hf.saved import check_record, file_sizes, write_record
from wassa_lib.hf.training import (
    autocast,
    checkpoint_dir,
    is_main_process,
    reusable_record,
    set_attention_dropout,
    sorted_batches,
    tokenize_frame,
    train,
    training_arguments,
    wait_for_everyone,
)
from wassa_lib.hf.training_record import TrainingRecord
from wassa_lib.scoring.scorer import pearson
from wassa_lib.settings.configs import TrainingConfig
from wassa_lib.settings.layout import require_file
from wassa_lib.track1 import head as regression_head

logger = logging.getLogger(__name__)

JOINT = "joint"  # one encoder with two heads, empathy and distress trained together (the paper's future work)
SUMMARY_FILE = "track1.json"
SELECTION_FILE = "regressor_selection.json"
BEST_PIPELINE = "best_regressor.joblib"
TEXT_ONLY_PIPELINE = "text_only_regressor.joblib"
AS_RUN_PIPELINES = "as_run_regressors.joblib"


def model_dir(track_dir: Path, score: str) -> Path:
    return Path(track_dir) / f"{score}_model"


def _check_score(score: str) -> None:
    if score not in (*SCORES, JOINT):
        raise ValueError(f"score must be one of {', '.join((*SCORES, JOINT))}, got {score!r}")


def targets(score: str) -> list[str]:
    """The scores an encoder's head predicts: ``[score]``, or both for the :data:`JOINT` encoder."""
    _check_score(score)
    return list(SCORES) if score == JOINT else [score]


@dataclass
class FineTuned:
    """One fine-tuned encoder: model and tokenizer plus what the run learned about it.

    The linear head was trained on standardised scores, ``(score - label_mean) / label_std``
    with the mean and standard deviation of the fit split, so that a freshly
    initialised head starts at the right scale; Pearson is unaffected. The authors'
    head learns the raw scores (mean 0, standard deviation 1 here). The
    :data:`JOINT` encoder has two outputs, and a mean and standard deviation each.
    """

    score: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    label_mean: float | list[float]
    label_std: float | list[float]
    validation_pearson: float
    seconds: float
    training: TrainingRecord | None = None
    settings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What ``track1.json`` records beside the saved model (throughput under ``training``, and the
        ``settings`` it was trained with, which decide whether a resumed run may reuse it)."""
        return {
            "score": self.score,
            "label_mean": self.label_mean,
            "label_std": self.label_std,
            "validation_pearson": self.validation_pearson,
            "seconds": self.seconds,
            "training": self.training,
            "settings": self.settings,
        }


def _pearson_metric(prediction: EvalPrediction) -> dict[str, float]:
    """Pearson of the head with its score; for the joint head, the mean over its two scores."""
    gold = np.asarray(prediction.label_ids).reshape(len(prediction.label_ids), -1)
    predicted = np.asarray(prediction.predictions).reshape(len(gold), -1)
    return {
        "pearson": float(np.mean([pearson(gold[:, i], predicted[:, i], ndigits=None) for i in range(gold.shape[1])]))
    }


def _standardised(frame: pd.DataFrame, names: list[str], mean: np.ndarray, std: np.ndarray) -> pd.DataFrame:
    values = ((frame[names].to_numpy(dtype=float) - mean) / std).astype("float32")
    return frame.assign(labels=list(values) if len(names) > 1 else values[:, 0])


def save_fine_tuned(tuned: FineTuned, directory: Path) -> Path:
    """``save_pretrained`` of model and tokenizer (safetensors) plus ``track1.json``, written last."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tuned.model.save_pretrained(directory)
    tuned.tokenizer.save_pretrained(directory)
    write_record(directory / SUMMARY_FILE, {**tuned.summary(), "files": file_sizes(directory, directory, SUMMARY_FILE)})
    return directory


def load_fine_tuned(directory: Path) -> FineTuned:
    """A fine-tuned encoder saved by :func:`save_fine_tuned`."""
    directory = Path(directory)
    summary = check_record(require_file(directory / SUMMARY_FILE, "notebook 02"))
    summary.pop("files", None)
    model = regression_head.load(directory, summary.get("settings", {}).get("head", "linear"))
    tokenizer = AutoTokenizer.from_pretrained(directory)
    training = summary.pop("training", None)
    return FineTuned(
        model=model,
        tokenizer=tokenizer,
        training=training and TrainingRecord.from_dict(training, str(directory / SUMMARY_FILE)),
        **summary,
    )


AUTHORS_BATCH = 32  # the authors' code scores dev as the mean of Pearson values over batches of 32 essays


def dev_scorer(
    tokenizer: PreTrainedTokenizerBase,
    dev: pd.DataFrame,
    names: list[str],
    max_length: int,
    batch_size: int,
    precision: str = "auto",
):
    """A :class:`~wassa_lib.hf.training.DevMonitor` score for a regression head on ``dev``: ``pearson`` over all
    essays and ``batch_mean_pearson``, the mean over consecutive batches of :data:`AUTHORS_BATCH` essays in
    file order (the authors' epoch criterion); both averaged over the head's scores."""
    texts, gold = list(dev["essay"]), dev[names].to_numpy(dtype=float)

    def score(model) -> dict[str, float]:
        predicted = np.empty_like(gold)
        model.eval()
        with torch.inference_mode(), autocast(model.device.type, precision):
            for rows, batch in sorted_batches(tokenizer, texts, max_length, batch_size, model.device):
                predicted[rows] = model(**batch).logits.float().cpu().numpy()
        chunks = range(0, len(texts), AUTHORS_BATCH)
        return {
            "pearson": float(np.mean([pearson(gold[:, i], predicted[:, i], ndigits=None) for i in range(len(names))])),
            "batch_mean_pearson": float(
                np.mean(
                    [
                        np.mean(
                            [
                                pearson(
                                    gold[c : c + AUTHORS_BATCH, i], predicted[c : c + AUTHORS_BATCH, i], ndigits=None
                                )
                                for c in chunks
                            ]
                        )
                        for i in range(len(names))
                    ]
                )
            ),
        }

    return score


def fine_tune(
    score: str,
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    cfg: TrainingConfig,
    work_dir: Path,
    resume: bool = False,
    dev: pd.DataFrame | None = None,
    head: str = "linear",
) -> FineTuned:
    """Fine-tune ``cfg.model`` with a regression head (MSE) for ``score`` with the Trainer (``score``
    :data:`JOINT`: one head with two outputs, empathy and distress, their MSE summed; ``head``: one of
    :data:`~wassa_lib.track1.head.HEADS`).

    Trains on ``fit``, evaluates Pearson on ``valid`` after every epoch and reloads
    the best epoch's checkpoint; checkpoints go to ``work_dir/checkpoints`` and are
    deleted once the best model is saved to ``work_dir`` (see :func:`save_fine_tuned`).
    With ``resume``, a model saved with the same settings (configuration, score and
    essay counts) is loaded instead of trained, and an interrupted training continues
    from its last checkpoint; a model saved with other settings is trained again.
    """
    _check_score(score)
    work_dir = Path(work_dir)
    settings = {
        **cfg.settings(),
        "score": score,
        "essays": {"fit": len(fit), "valid": len(valid)},
        **({} if regression_head.check(head) == "linear" else {"head": head}),
    }
    if resume and reusable_record(work_dir / SUMMARY_FILE, settings) is not None:
        logger.info("%s encoder: the model of an earlier run with the same settings reused", score)
        return load_fine_tuned(work_dir)
    start = time.perf_counter()
    names = targets(score)
    model, tokenizer = load_model(
        cfg.model, "regression", num_labels=len(names), corpus=fit["essay"].tolist(), seed=cfg.seed
    )
    model = regression_head.fit(model, head)
    set_attention_dropout(model, cfg.attention_dropout)
    mean, std = fit[names].mean().to_numpy(dtype=float), fit[names].std().to_numpy(dtype=float)
    if not (std > 0).all():
        raise ValueError(f"{score} is constant on the fit split; cannot fine-tune a regression head")
    if not regression_head.standardises(head):
        mean, std = np.zeros_like(mean), np.ones_like(std)
    checkpoints = checkpoint_dir(work_dir)
    trainer = Trainer(
        model=model,
        args=training_arguments(cfg, checkpoints, metric_for_best="pearson", greater_is_better=True),
        train_dataset=tokenize_frame(_standardised(fit, names, mean, std), tokenizer, cfg.max_length, ["labels"]),
        eval_dataset=tokenize_frame(_standardised(valid, names, mean, std), tokenizer, cfg.max_length, ["labels"]),
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        compute_metrics=_pearson_metric,
    )
    monitor = (
        None if dev is None else dev_scorer(tokenizer, dev, names, cfg.max_length, cfg.eval_batch_size, cfg.precision)
    )
    training = train(trainer, cfg, checkpoints, resume, label=f"{score} encoder", dev_score=monitor)
    best = trainer.state.best_metric
    validation_pearson = float(best if best is not None else trainer.evaluate()["eval_pearson"])
    one = len(names) == 1
    tuned = FineTuned(
        score=score,
        model=trainer.model,
        tokenizer=tokenizer,
        label_mean=float(mean[0]) if one else mean.tolist(),
        label_std=float(std[0]) if one else std.tolist(),
        validation_pearson=validation_pearson,
        seconds=time.perf_counter() - start,
        training=training,
        settings=settings,
    )
    wait_for_everyone()  # every process has reloaded the best checkpoint before it is removed
    if is_main_process():
        save_fine_tuned(tuned, work_dir)
        shutil.rmtree(checkpoints, ignore_errors=True)
    return tuned


def save_selection(
    track_dir: Path, regressor: str, pipeline, text_only_pipeline, scores: dict, as_run: dict | None = None
) -> Path:
    """Notebook 03's choice: both fitted pipelines (joblib), the authors' system's pipelines per score
    (``as_run``, where given) and ``regressor_selection.json`` naming the regressor."""
    import joblib

    track_dir = Path(track_dir)
    track_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, track_dir / BEST_PIPELINE)
    joblib.dump(text_only_pipeline, track_dir / TEXT_ONLY_PIPELINE)
    pipelines = {"full": BEST_PIPELINE, "text_only": TEXT_ONLY_PIPELINE}
    if as_run is not None:
        joblib.dump(as_run, track_dir / AS_RUN_PIPELINES)
        pipelines["as_run"] = AS_RUN_PIPELINES
    selection = {"regressor": regressor, "pipelines": pipelines, "scores": scores}
    path = track_dir / SELECTION_FILE
    path.write_text(json.dumps(selection, indent=2, default=float) + "\n", encoding="utf-8")
    return path
