"""Track 1: fine-tune one encoder per score, embed essays with it, and predict from the saved artifacts.

The paper (Section 4.1) fine-tunes a pre-trained encoder separately for empathy
and for distress (a regression head, MSE loss, Adam at lr 2e-5), then
concatenates the two fine-tuned essay embeddings with the scaled person
features and feeds them to a regressor. This module covers the encoder side;
:mod:`wassa_lib.features` builds the concatenated features and
:mod:`wassa_lib.regressors` the regressors.

Artifacts of a run, under ``<run folder>/artifacts/track1/``::

    empathy_model/, distress_model/   save_pretrained model + tokenizer (safetensors), track1.json
    encoders.json                     pooling, max length, batch size of the embeddings
    embeddings/<split>.npz            message_id, empathy, distress (embeddings), *_head (head predictions)
    best_regressor.joblib             the selected regressor pipeline (notebook 03)
    text_only_regressor.joblib        the same regressor without person features (notebook 03)
    regressor_selection.json          which regressor was chosen (on validation) and its scores (notebook 03)
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, EvalPrediction,
                          PreTrainedModel, PreTrainedTokenizerBase, Trainer)

from .config import TrainingConfig
from .layout import track1_dir
from .pooling import POOLINGS, pool
from .data import PERSON_FEATURES, SCORES
from .features import embedding_columns
from .metrics import pearson
from .models import load_model
from .training import (autocast, checkpoint_dir, is_main_process, reusable_record, set_attention_dropout, sorted_batches,
                       tokenize_frame, train, training_arguments, wait_for_everyone)

logger = logging.getLogger(__name__)

EMBEDDING_SPLITS = ("fit", "validation", "dev", "test")
JOINT = "joint"  # one encoder with two heads, empathy and distress trained together (the paper's future work)
SUMMARY_FILE = "track1.json"
ENCODERS_FILE = "encoders.json"
SELECTION_FILE = "regressor_selection.json"
BEST_PIPELINE = "best_regressor.joblib"
TEXT_ONLY_PIPELINE = "text_only_regressor.joblib"


def model_dir(track_dir: Path, score: str) -> Path:
    return Path(track_dir) / f"{score}_model"


def embeddings_path(track_dir: Path, split: str) -> Path:
    return Path(track_dir) / "embeddings" / f"{split}.npz"


def _check_score(score: str) -> None:
    if score not in (*SCORES, JOINT):
        raise ValueError(f"score must be one of {', '.join((*SCORES, JOINT))}, got {score!r}")


def targets(score: str) -> list[str]:
    """The scores an encoder's head predicts: ``[score]``, or both for the :data:`JOINT` encoder."""
    _check_score(score)
    return list(SCORES) if score == JOINT else [score]


def _check_pooling(pooling: str) -> None:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")


def _require_file(path: Path, writer: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; {writer} writes it (run it first with the same profile)")
    return path


@dataclass
class FineTuned:
    """One fine-tuned encoder: model and tokenizer plus what the run learned about it.

    The head was trained on standardised scores, ``(score - label_mean) / label_std``
    with the mean and standard deviation of the fit split, so that a freshly
    initialised head starts at the right scale; Pearson is unaffected. The
    :data:`JOINT` encoder has two outputs, and a mean and standard deviation each.
    """

    score: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    label_mean: float | list[float]
    label_std: float | list[float]
    validation_pearson: float
    seconds: float
    training: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What ``track1.json`` records beside the saved model (throughput under ``training``, and the
        ``settings`` it was trained with, which decide whether a resumed run may reuse it)."""
        return {"score": self.score, "label_mean": self.label_mean, "label_std": self.label_std,
                "validation_pearson": self.validation_pearson, "seconds": self.seconds, "training": self.training,
                "settings": self.settings}


def _pearson_metric(prediction: EvalPrediction) -> dict[str, float]:
    """Pearson of the head with its score; for the joint head, the mean over its two scores."""
    gold = np.asarray(prediction.label_ids).reshape(len(prediction.label_ids), -1)
    predicted = np.asarray(prediction.predictions).reshape(len(gold), -1)
    return {"pearson": float(np.mean([pearson(gold[:, i], predicted[:, i], ndigits=None)
                                      for i in range(gold.shape[1])]))}


def _standardised(frame: pd.DataFrame, names: list[str], mean: np.ndarray, std: np.ndarray) -> pd.DataFrame:
    values = ((frame[names].to_numpy(dtype=float) - mean) / std).astype("float32")
    return frame.assign(labels=list(values) if len(names) > 1 else values[:, 0])


def save_fine_tuned(tuned: FineTuned, directory: Path) -> Path:
    """``save_pretrained`` of model and tokenizer (safetensors) plus ``track1.json``, written last."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tuned.model.save_pretrained(directory)
    tuned.tokenizer.save_pretrained(directory)
    (directory / SUMMARY_FILE).write_text(json.dumps(tuned.summary(), indent=2) + "\n", encoding="utf-8")
    return directory


def load_fine_tuned(directory: Path) -> FineTuned:
    """A fine-tuned encoder saved by :func:`save_fine_tuned`."""
    directory = Path(directory)
    summary = json.loads(_require_file(directory / SUMMARY_FILE, "notebook 02").read_text(encoding="utf-8"))
    model = AutoModelForSequenceClassification.from_pretrained(directory)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    return FineTuned(model=model, tokenizer=tokenizer, **summary)


AUTHORS_BATCH = 32  # the authors' code scores dev as the mean of Pearson values over batches of 32 essays


def dev_scorer(tokenizer: PreTrainedTokenizerBase, dev: pd.DataFrame, names: list[str], max_length: int,
               batch_size: int, precision: str = "auto"):
    """A :class:`~wassa_lib.training.DevMonitor` score for a regression head on ``dev``: ``pearson`` over all
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
        return {"pearson": float(np.mean([pearson(gold[:, i], predicted[:, i], ndigits=None)
                                          for i in range(len(names))])),
                "batch_mean_pearson": float(np.mean([np.mean([pearson(gold[c:c + AUTHORS_BATCH, i],
                                                                      predicted[c:c + AUTHORS_BATCH, i], ndigits=None)
                                                              for c in chunks]) for i in range(len(names))]))}

    return score


def fine_tune(score: str, fit: pd.DataFrame, valid: pd.DataFrame, cfg: TrainingConfig, work_dir: Path,
              resume: bool = False, dev: pd.DataFrame | None = None) -> FineTuned:
    """Fine-tune ``cfg.model`` with a regression head (MSE) for ``score`` with the Trainer (``score``
    :data:`JOINT`: one head with two outputs, empathy and distress, their MSE summed).

    Trains on ``fit``, evaluates Pearson on ``valid`` after every epoch and reloads
    the best epoch's checkpoint; checkpoints go to ``work_dir/checkpoints`` and are
    deleted once the best model is saved to ``work_dir`` (see :func:`save_fine_tuned`).
    With ``resume``, a model saved with the same settings (configuration, score and
    essay counts) is loaded instead of trained, and an interrupted training continues
    from its last checkpoint; a model saved with other settings is trained again.
    """
    _check_score(score)
    work_dir = Path(work_dir)
    settings = {**cfg.settings(), "score": score, "essays": {"fit": len(fit), "valid": len(valid)}}
    if resume and reusable_record(work_dir / SUMMARY_FILE, settings) is not None:
        logger.info("%s encoder: the model of an earlier run with the same settings reused", score)
        return load_fine_tuned(work_dir)
    start = time.perf_counter()
    names = targets(score)
    model, tokenizer = load_model(cfg.model, "regression", num_labels=len(names), corpus=fit["essay"].tolist(),
                                  seed=cfg.seed)
    set_attention_dropout(model, cfg.attention_dropout)
    mean, std = fit[names].mean().to_numpy(dtype=float), fit[names].std().to_numpy(dtype=float)
    if not (std > 0).all():
        raise ValueError(f"{score} is constant on the fit split; cannot fine-tune a regression head")
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
    monitor = None if dev is None else dev_scorer(tokenizer, dev, names, cfg.max_length, cfg.eval_batch_size,
                                                   cfg.precision)
    training = train(trainer, cfg, checkpoints, resume, label=f"{score} encoder", dev_score=monitor)
    best = trainer.state.best_metric
    validation_pearson = float(best if best is not None else trainer.evaluate()["eval_pearson"])
    one = len(names) == 1
    tuned = FineTuned(score=score, model=trainer.model, tokenizer=tokenizer,
                      label_mean=float(mean[0]) if one else mean.tolist(),
                      label_std=float(std[0]) if one else std.tolist(),
                      validation_pearson=validation_pearson, seconds=time.perf_counter() - start, training=training,
                      settings=settings)
    wait_for_everyone()  # every process has reloaded the best checkpoint before it is removed
    if is_main_process():
        save_fine_tuned(tuned, work_dir)
        shutil.rmtree(checkpoints, ignore_errors=True)
    return tuned


def encode(tuned: FineTuned, texts: Sequence[str], pooling: str, max_length: int, batch_size: int = 64,
           precision: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Essay embeddings and head predictions (in score units) of a fine-tuned encoder, in input order.

    Essays are sorted by length and padded per batch to the longest one; inference
    runs under ``torch.inference_mode`` (mixed precision on a GPU).
    """
    pooled, heads = encode_pooled(tuned, texts, (pooling,), max_length, batch_size, precision)
    return pooled[pooling], heads


def encode_pooled(tuned: FineTuned, texts: Sequence[str], poolings: Sequence[str], max_length: int,
                  batch_size: int = 64, precision: str = "auto") -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`encode` with several poolings from one pass: ``({pooling: embeddings}, head predictions)``; the
    predictions are one column per score the head predicts (a vector where it predicts one)."""
    for pooling in poolings:
        _check_pooling(pooling)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = tuned.model.to(device).eval()
    captured: dict = {}
    hook = model.base_model.register_forward_hook(lambda _m, _i, out: captured.__setitem__("out", out))
    embeddings = {p: np.empty((len(texts), model.config.hidden_size), dtype=np.float32) for p in poolings}
    heads = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    try:
        with torch.inference_mode(), autocast(device.type, precision):
            for rows, batch in sorted_batches(tuned.tokenizer, texts, max_length, batch_size, device):
                logits = model(**batch).logits.float()
                for pooling in poolings:
                    out = captured["out"]
                    embeddings[pooling][rows] = pool(out.last_hidden_state, batch["attention_mask"], pooling,
                                                     getattr(out, "pooler_output", None)).float().cpu().numpy()
                heads[rows] = logits.cpu().numpy()
    finally:
        hook.remove()
    heads = heads * np.asarray(tuned.label_std) + np.asarray(tuned.label_mean)
    return embeddings, heads[:, 0] if heads.shape[1] == 1 else heads


def carried_by_pooling(models: dict[str, FineTuned], fit: pd.DataFrame, valid: pd.DataFrame, max_length: int,
                       regressor_params: dict[str, dict], scale_embeddings: bool = False, seed: int = 42,
                       batch_size: int = 64, precision: str = "auto") -> dict[str, float]:
    """Per pooling, the validation average Pearson of the system notebook 03 would carry with it: the best of
    the profile's regressors over ``[empathy ; distress ; person features]``, fitted on ``fit`` (the tuning
    criterion of the Track-1 rate and pooling; dev plays no part)."""
    from .comparison import best_on_validation
    from .features import feature_frame

    texts = [*fit["essay"], *valid["essay"]]
    poolings = [p for p in POOLINGS if p != "pooler" or getattr(models[SCORES[0]].model.base_model, "pooler", None)]
    encoded = {score: encode_pooled(models[score], texts, poolings, max_length, batch_size, precision)[0]
               for score in SCORES}
    scores = {}
    for pooling in poolings:
        frames = {split: feature_frame(frame, encoded["empathy"][pooling][rows], encoded["distress"][pooling][rows])
                  for split, frame, rows in (("fit", fit, slice(0, len(fit))), ("validation", valid,
                                                                              slice(len(fit), None)))}
        scores[pooling] = best_on_validation(frames, regressor_params, scale_embeddings, seed)[1]
    return scores


@dataclass
class SplitEmbeddings:
    """Both encoders' embeddings of one split's essays, row-aligned with ``message_id``."""

    message_id: np.ndarray
    empathy: np.ndarray
    distress: np.ndarray
    empathy_head: np.ndarray
    distress_head: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        """``emb["empathy"]`` (an embedding matrix), ``emb["empathy_head"]`` (head predictions), ..."""
        if name not in self.__dataclass_fields__:
            raise KeyError(f"{name!r}; expected one of {', '.join(self.__dataclass_fields__)}")
        return getattr(self, name)

    def heads(self) -> pd.DataFrame:
        """The fine-tuned encoders' own predictions, columns empathy and distress."""
        return pd.DataFrame({"empathy": self.empathy_head, "distress": self.distress_head})


def save_embeddings(emb: SplitEmbeddings, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in asdict(emb).items()}
    np.savez(path, **{**arrays, "message_id": arrays["message_id"].astype(str)})
    return path


def load_embeddings(track_dir: Path, split: str, message_ids: Sequence[str] | None = None) -> SplitEmbeddings:
    """Embeddings of ``split`` written by notebook 02; checks the rows against ``message_ids`` when given."""
    if split not in EMBEDDING_SPLITS:
        raise ValueError(f"split must be one of {', '.join(EMBEDDING_SPLITS)}, got {split!r}")
    path = _require_file(embeddings_path(track_dir, split), "notebook 02")
    with np.load(path, allow_pickle=False) as data:
        emb = SplitEmbeddings(**{k: data[k] for k in SplitEmbeddings.__dataclass_fields__})
    if message_ids is not None and not np.array_equal(emb.message_id, np.asarray(message_ids, dtype=str)):
        raise ValueError(f"{path}: its essays differ from the {split} split here; rerun notebook 02 with the same "
                         "seed, valid_fraction and max_train_samples")
    return emb


def _all_essays(frames: dict[str, pd.DataFrame]) -> tuple[list[str], np.ndarray]:
    """Every split's essays in one list (one encoder pass), and where each split starts and ends in it."""
    texts = pd.concat([frame["essay"] for frame in frames.values()], ignore_index=True).tolist()
    return texts, np.cumsum([0] + [len(frame) for frame in frames.values()])


def embed_splits(models: dict[str, FineTuned], frames: dict[str, pd.DataFrame], pooling: str, max_length: int,
                 batch_size: int = 64, precision: str = "auto") -> dict[str, SplitEmbeddings]:
    """Every split's essays through both encoders (one length-sorted pass over all splits per encoder)."""
    texts, bounds = _all_essays(frames)
    encoded = {score: encode(models[score], texts, pooling, max_length, batch_size, precision) for score in SCORES}
    out = {}
    for (split, frame), lo, hi in zip(frames.items(), bounds[:-1], bounds[1:]):
        out[split] = SplitEmbeddings(
            message_id=frame["message_id"].to_numpy(dtype=str),
            **{score: encoded[score][0][lo:hi] for score in SCORES},
            **{f"{score}_head": encoded[score][1][lo:hi] for score in SCORES},
        )
    return out


def joint_embeddings_path(track_dir: Path, split: str) -> Path:
    return Path(track_dir) / "embeddings" / f"{JOINT}_{split}.npz"


def embed_joint(tuned: FineTuned, frames: dict[str, pd.DataFrame], pooling: str, max_length: int,
                batch_size: int = 64, precision: str = "auto") -> dict[str, pd.DataFrame]:
    """Every split's essays through the :data:`JOINT` encoder: per split a frame of ``message_id``, the
    head's ``empathy`` and ``distress`` and the embedding (``mt_0000 ...``), written by :func:`save_joint`."""
    texts, bounds = _all_essays(frames)
    embedded, heads = encode(tuned, texts, pooling, max_length, batch_size, precision)
    out = {}
    for (split, frame), lo, hi in zip(frames.items(), bounds[:-1], bounds[1:]):
        out[split] = pd.concat([
            pd.DataFrame({"message_id": frame["message_id"].to_numpy(dtype=str),
                          **{score: heads[lo:hi, i] for i, score in enumerate(SCORES)}}),
            pd.DataFrame(embedded[lo:hi], columns=embedding_columns(JOINT, embedded.shape[1]))], axis=1)
    return out


def save_joint(embedded: dict[str, pd.DataFrame], track_dir: Path) -> None:
    """The joint encoder's heads and embeddings of every split, ``embeddings/joint_<split>.npz``."""
    for split, frame in embedded.items():
        path = joint_embeddings_path(track_dir, split)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, columns=np.asarray(frame.columns, dtype=str), message_id=frame["message_id"].to_numpy(dtype=str),
                 values=frame.drop(columns="message_id").to_numpy(dtype=np.float32))


def load_joint(track_dir: Path, split: str, message_ids: Sequence[str]) -> pd.DataFrame:
    """What :func:`save_joint` wrote for ``split``, checked against the split's ``message_ids``."""
    path = _require_file(joint_embeddings_path(track_dir, split), "notebook 02 (with track1_multitask)")
    with np.load(path, allow_pickle=False) as data:
        columns = [str(c) for c in data["columns"]]
        frame = pd.DataFrame(data["values"], columns=columns[1:]).assign(message_id=data["message_id"])
    if not np.array_equal(frame["message_id"].to_numpy(dtype=str), np.asarray(message_ids, dtype=str)):
        raise ValueError(f"{path}: its essays differ from the {split} split here; rerun notebook 02")
    return frame


def write_encoders_info(track_dir: Path, pooling: str, max_length: int, batch_size: int, model_spec: str) -> Path:
    """``encoders.json``: how the embeddings were made, so that :func:`predict_scores` makes them the same way."""
    _check_pooling(pooling)
    path = Path(track_dir) / ENCODERS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pooling": pooling, "max_length": max_length, "batch_size": batch_size, "model": model_spec}
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


def save_selection(track_dir: Path, regressor: str, pipeline, text_only_pipeline, scores: dict) -> Path:
    """Notebook 03's choice: both fitted pipelines (joblib) and ``regressor_selection.json`` naming the regressor."""
    import joblib

    track_dir = Path(track_dir)
    track_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, track_dir / BEST_PIPELINE)
    joblib.dump(text_only_pipeline, track_dir / TEXT_ONLY_PIPELINE)
    selection = {"regressor": regressor, "pipelines": {"full": BEST_PIPELINE, "text_only": TEXT_ONLY_PIPELINE},
                 "scores": scores}
    path = track_dir / SELECTION_FILE
    path.write_text(json.dumps(selection, indent=2, default=float) + "\n", encoding="utf-8")
    return path


def _stamp(directory: Path) -> int:
    return (_require_file(Path(directory) / SUMMARY_FILE, "notebook 02")).stat().st_mtime_ns


@lru_cache(maxsize=2)
def _cached_fine_tuned(directory: str, stamp: int) -> FineTuned:
    """Loaded once per saved model (``stamp``: when it was written), for repeated predictions in chunks."""
    return load_fine_tuned(Path(directory))


def predict_scores(run_dir: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Empathy and distress for the essays of ``frame`` from a finished run's saved artifacts.

    Loads both fine-tuned encoders, embeds ``frame["essay"]`` as notebook 02 did and
    applies the regressor pipeline notebook 03 selected. A row that lacks a person
    feature (the column is missing, or its value is blank) is predicted with the
    text-only variant of that regressor, and the count of such rows is logged.
    Returns columns ``empathy`` and ``distress`` in the row order (and with the index)
    of ``frame``.
    """
    import joblib

    from .features import feature_frame

    if "essay" not in frame.columns:
        raise KeyError("frame lacks the column essay")
    track_dir = track1_dir(run_dir)
    info = json.loads(_require_file(track_dir / ENCODERS_FILE, "notebook 02").read_text(encoding="utf-8"))
    selection = json.loads(_require_file(track_dir / SELECTION_FILE, "notebook 03").read_text(encoding="utf-8"))
    person = frame.reindex(columns=PERSON_FEATURES).apply(lambda c: pd.to_numeric(c, errors="coerce"))
    complete = person.notna().all(axis=1).to_numpy()
    embedded = {}
    for score in SCORES:
        tuned = _cached_fine_tuned(str(model_dir(track_dir, score)), _stamp(model_dir(track_dir, score)))
        embedded[score] = encode(tuned, frame["essay"].tolist(), info["pooling"], info["max_length"],
                                 info["batch_size"])[0]
    features = feature_frame(person.assign(essay=frame["essay"].to_numpy()), embedded["empathy"], embedded["distress"])
    predicted = np.empty((len(frame), len(SCORES)))
    if complete.any():
        pipeline = joblib.load(_require_file(track_dir / BEST_PIPELINE, "notebook 03"))
        predicted[complete] = pipeline.predict(features[complete])
    if not complete.all():
        logger.warning("%d of %d essays lack person features: predicted with the text-only %s regressor",
                       int((~complete).sum()), len(frame), selection["regressor"])
        pipeline = joblib.load(_require_file(track_dir / TEXT_ONLY_PIPELINE, "notebook 03"))
        predicted[~complete] = pipeline.predict(features[~complete])
    return pd.DataFrame(predicted, columns=list(SCORES), index=frame.index)
