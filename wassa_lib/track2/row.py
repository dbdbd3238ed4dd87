"""One row of Table 4 end to end: train (both stages where incremental), predict dev and test, save, resume."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wassa_lib.data.carer import CarerSplits
from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.hf.saved import file_sizes, write_record
from wassa_lib.hf.training import is_main_process, reusable_record
from wassa_lib.hf.training_record import TrainingRecord
from wassa_lib.scoring.scorer import EmotionScores, emotion_scores
from wassa_lib.track2.config import IncrementalConfig, Track2Model
from wassa_lib.track2.decoding import count_invalid, generate_free, predict_classifier, predict_generation
from wassa_lib.track2.inputs import model_inputs
from wassa_lib.track2.training import (
    MODEL_DIR,
    PREDICTIONS_FILE,
    RESULT_FILE,
    TEST_PREDICTIONS_FILE,
    CarerStage,
    stage1_dir,
    stage1_model_name,
    train_classifier,
    train_generator,
    train_stage1,
)

logger = logging.getLogger(__name__)


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
    stage1: CarerStage | None = None
    training: TrainingRecord | None = None
    test_predictions: list[str] | None = None

    def save(self, folder: Path, dev: pd.DataFrame, settings: dict, test: pd.DataFrame | None = None) -> None:
        """``dev_predictions.csv`` (gold, predicted, generated), ``test_predictions.csv`` where the test essays
        were predicted (gold left empty where the test file has none), then ``result.json`` (scores, timings,
        the ``settings`` it was trained with, the size of every file of the saved model), written last."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.test_predictions is not None and test is not None:
            gold = test["emotion"].fillna("") if "emotion" in test else ""
            pd.DataFrame(
                {"message_id": test["message_id"].to_numpy(), "gold": gold, "predicted": self.test_predictions}
            ).to_csv(folder / TEST_PREDICTIONS_FILE, index=False)
        frame = pd.DataFrame(
            {
                "message_id": dev["message_id"].to_numpy(),
                "gold": dev["emotion"].to_numpy(),
                "predicted": self.predictions,
            }
        )
        if self.generated is not None:
            frame["generated"] = self.generated
        frame.to_csv(folder / PREDICTIONS_FILE, index=False)
        record = {
            "scores": self.scores,
            "valid_macro_f1": self.valid_macro_f1,
            "seconds": self.seconds,
            "invalid_generations": self.invalid_generations,
            "stage1": self.stage1,
            "training": self.training,
            "settings": settings,
            "files": file_sizes(folder, folder / MODEL_DIR, RESULT_FILE),
        }
        write_record(folder / RESULT_FILE, record)

    @classmethod
    def load(cls, spec: Track2Model, folder: Path, record: dict) -> ModelResult:
        """The result saved in ``folder`` (``record``: its ``result.json``)."""
        where = str(folder / RESULT_FILE)
        frame = pd.read_csv(folder / PREDICTIONS_FILE, keep_default_na=False)
        test = folder / TEST_PREDICTIONS_FILE
        return cls(
            spec=spec,
            predictions=list(frame["predicted"]),
            scores=record["scores"],
            valid_macro_f1=record["valid_macro_f1"],
            seconds=record["seconds"],
            invalid_generations=record["invalid_generations"],
            generated=list(frame["generated"]) if "generated" in frame else None,
            stage1=record["stage1"] and CarerStage.from_dict(record["stage1"], f"{where}: stage1"),
            training=record.get("training") and TrainingRecord.from_dict(record["training"], f"{where}: training"),
            test_predictions=list(pd.read_csv(test, keep_default_na=False)["predicted"]) if test.is_file() else None,
        )


def run_model(
    spec: Track2Model,
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    dev: pd.DataFrame,
    root: Path,
    carer: CarerSplits | None = None,
    incremental: IncrementalConfig | None = None,
    resume: bool = False,
    test: pd.DataFrame | None = None,
    stage_root: Path | None = None,
) -> ModelResult:
    """Train one model (both stages where incremental), predict every dev essay (and every ``test`` essay,
    whose gold is never read), save under ``root/<name>``.

    With ``resume``, a model whose results were saved with the same settings is read back
    instead of retrained (an interrupted training resumes from its last checkpoint). An incremental row starts
    from the CARER stage under ``stage_root`` (default ``root``; :meth:`IncrementalConfig.stage_root`).
    """
    folder = root / spec.name
    essays_count = {
        "fit": len(fit),
        "valid": len(valid),
        "dev": len(dev),
        **({} if test is None else {"test": len(test)}),
    }
    settings = {**spec.settings(), "essays": essays_count}
    saved = reusable_record(folder / RESULT_FILE, settings) if resume else None
    if saved is not None:
        logger.info("%s: results of an earlier run with the same settings reused", spec.name)
        return ModelResult.load(spec, folder, saved)
    start = time.perf_counter()
    fit, valid, inputs = (frame.assign(essay=model_inputs(frame, spec.person_features)) for frame in (fit, valid, dev))
    cfg, stage1 = spec.training, None
    # dev is scored after every epoch only for a row that can be carried (dev_selection.csv reads the carried
    # row's curve); a person-feature row never is. The training is the same either way.
    monitored = None if spec.person_features else inputs
    if spec.family == "classification":
        model, tokenizer, valid_f1, training = train_classifier(
            cfg, fit, valid, folder, resume, spec.name, spec.pooling, dev=monitored
        )
        training = training.with_settings(pooling=spec.pooling)

        def predict(texts: list[str]) -> list[str]:
            return predict_classifier(model, tokenizer, texts, cfg.max_length, cfg.eval_batch_size, cfg.precision)

    else:
        if spec.incremental:
            stage1_model, stage1 = _stage1_for(spec, fit, stage_root or root, carer, incremental)
            cfg = dataclasses.replace(cfg, model=str(stage1_model))
        model, tokenizer, valid_f1, training = train_generator(
            cfg, fit, valid, folder, EMOTIONS, resume, label=spec.name, dev=monitored
        )
        if spec.incremental:
            training = training.with_settings(model=stage1_model_name(spec.model))

        def predict(texts: list[str]) -> list[str]:
            args = (cfg.max_length, cfg.eval_batch_size, cfg.precision)
            return predict_generation(model, tokenizer, texts, EMOTIONS, *args)

    essays = list(inputs["essay"])
    predictions = predict(essays)
    generated = None
    if spec.family == "generation":
        generated = generate_free(
            model, tokenizer, essays, EMOTIONS, cfg.max_length, cfg.eval_batch_size, cfg.precision
        )
    test_predictions = None if test is None else predict(model_inputs(test, spec.person_features))
    result = ModelResult(
        spec=spec,
        predictions=predictions,
        scores=emotion_scores(dev["emotion"], predictions),
        valid_macro_f1=valid_f1,
        seconds=round(time.perf_counter() - start, 1),
        invalid_generations=None if generated is None else count_invalid(generated),
        generated=generated,
        stage1=stage1,
        training=training,
        test_predictions=test_predictions,
    )
    if is_main_process():
        result.save(folder, dev, settings, test)
    invalid = result.invalid_generations
    extra = "" if invalid is None else f", {invalid} invalid free generations"
    logger.info("%s: dev macro-F1 %.4f%s, %.0f s", spec.name, result.scores["macro_f1"], extra, result.seconds)
    return result


def _stage1_for(
    spec: Track2Model, fit: pd.DataFrame, root: Path, carer: CarerSplits | None, incremental: IncrementalConfig | None
) -> tuple[Path, CarerStage]:
    """The CARER stage that the incremental row ``spec`` starts from, trained once per base and reused (a shared
    stage only where the code that trained it is the code at hand)."""
    if carer is None or incremental is None:
        raise ValueError(f"{spec.name}: incremental fine-tuning needs the CARER data and track2_incremental")
    stage1_model, stage1 = train_stage1(
        spec.model,
        carer,
        incremental,
        stage1_dir(root, spec.model),
        incremental.training.seed,
        resume=True,
        corpus=list(fit["essay"]),
        same_commit=incremental.shared,
    )
    logger.info(
        "%s: stage 1 on %d CARER lines, validation macro-F1 %.4f, %.0f s",
        spec.name,
        stage1.carer_train_lines,
        stage1.carer_valid_macro_f1,
        stage1.seconds,
    )
    return stage1_model, stage1
