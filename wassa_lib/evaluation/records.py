"""The records notebooks 01, 02 and 04 save as ``metrics/<notebook>.json``: typed, built and written by the library,
read back by the claims, the tuning table, the report and the benchmark."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from wassa_lib.data.wassa import SCORES
from wassa_lib.hf.training_record import TrainingRecord, training_map
from wassa_lib.scoring.scorer import pearson
from wassa_lib.scoring.tables import Record
from wassa_lib.settings.layout import metrics_dir
from wassa_lib.settings.typed import from_fields
from wassa_lib.track2.training import CarerStage, stage1_key


def stopping_lines(curves: dict[str, TrainingRecord]) -> str:
    """One line per fine-tuning record of ``curves`` (by name), read from the saved record whether the model was
    trained now or read back: the validation score after each epoch, the epoch kept, the epochs run, the cap,
    what stopped the training (patience or the cap), its training time and the commit that trained it."""
    return "\n".join(
        f"{name}: validation {' '.join(f'{v:.3f}' for v in r.validation_by_epoch)}; kept epoch {r.best_epoch} "
        f"of {r.ran} run (cap {r.epochs:g}), stopped by {r.stopped_by or 'the fixed epochs'}; "
        f"{r.train_seconds:.0f} s, trained at {r.commit}"
        for name, r in curves.items()
    )


@dataclass
class DataRecord(Record):
    """Notebook 01: the essays per split and how strongly empathy and distress correlate on train."""

    NOTEBOOK: ClassVar[str] = "01_data"
    train_empathy_distress_pearson: float
    essays: dict[str, int]


@dataclass
class Track1Record(Record):
    """Notebook 02: each encoder's head on validation and dev, the pooling, the carried system's validation score
    per pooling, and every fine-tuning's training record (curve, kept epoch, what stopped it, costs)."""

    NOTEBOOK: ClassVar[str] = "02_track1_finetune"
    encoders: list[dict]
    pooling: str
    carried_by_pooling: dict[str, float]
    model: str
    essays: dict[str, int]
    training: dict[str, TrainingRecord]
    joint_validation_pearson: float | None = None

    def __post_init__(self) -> None:
        self.training = training_map(self.training, self.NOTEBOOK)

    @classmethod
    def build(
        cls,
        models: dict,
        joint,
        embedded: dict,
        frames: dict[str, pd.DataFrame],
        pooling: str,
        carried: dict[str, float],
        model: str,
    ) -> Track1Record:
        """From notebook 02's fine-tuned ``models`` (and the ``joint`` encoder or None), the ``embedded``
        splits and the ``frames`` they came from."""
        rows = [
            {
                "score": score,
                "model": model,
                "pooling": pooling,
                "embedding_dim": embedded["dev"][score].shape[1],
                "validation_pearson": pearson(frames["validation"][score], embedded["validation"][f"{score}_head"]),
                "dev_pearson": pearson(frames["dev"][score], embedded["dev"][f"{score}_head"]),
                "train_seconds": round(models[score].seconds, 1),
            }
            for score in SCORES
        ]
        tuned = {f"track1_{score}": models[score] for score in SCORES} | (
            {} if joint is None else {"track1_joint": joint}
        )
        training = {name: t.training for name, t in tuned.items() if t.training is not None}
        return cls(
            encoders=rows,
            pooling=pooling,
            carried_by_pooling=carried,
            model=model,
            essays={split: len(frame) for split, frame in frames.items()},
            training=training,
            joint_validation_pearson=None if joint is None else joint.validation_pearson,
        )

    def table(self) -> pd.DataFrame:
        """``track1_encoders``: one row per encoder."""
        return pd.DataFrame(self.encoders)


@dataclass(frozen=True)
class DevScores:
    """A Table-4 row's dev scores as the official scorer gives them (the keys of
    :class:`~wassa_lib.scoring.scorer.EmotionScores`), and its validation macro-F1."""

    macro_f1: float
    micro_f1: float
    accuracy: float
    macro_precision: float
    micro_precision: float
    macro_recall: float
    micro_recall: float
    per_class_f1: dict[str, float]
    valid_macro_f1: float


@dataclass(frozen=True)
class ModelEntry(DevScores):
    """A fine-tuned model of Table 4: its scores, its time, its invalid free generations (generation rows) and
    its CARER stage (incremental rows)."""

    seconds: float
    invalid_generations: int | None = None
    stage1: CarerStage | None = None

    @classmethod
    def from_dict(cls, data: dict, where: str) -> ModelEntry:
        stage1 = data.get("stage1") and CarerStage.from_dict(data["stage1"], f"{where}: stage1")
        return from_fields(cls, data, where, stage1=stage1)


@dataclass(frozen=True)
class FloorEntry(DevScores):
    """A floor of Table 4 (majority class, TF-IDF, frozen embeddings): its scores and the setting validation
    chose."""

    setting: str

    @classmethod
    def from_dict(cls, data: dict, where: str) -> FloorEntry:
        return from_fields(cls, data, where)


@dataclass(frozen=True)
class FamilyEntry:
    """What a Table-4 model is: its family, whether it has a CARER stage, its base model, person features."""

    family: str
    incremental: bool
    base: str
    person_features: bool = False

    @classmethod
    def from_dict(cls, data: dict, where: str) -> FamilyEntry:
        return from_fields(cls, data, where)


def _typed(entries: dict, cls: type, where: str) -> dict:
    return {
        name: e if isinstance(e, cls) else cls.from_dict(e, f"{where}: {name}") for name, e in (entries or {}).items()
    }


@dataclass
class Track2Record(Record):
    """Notebook 04: every model's dev scores and validation macro-F1, the floors, the model carried to test, the
    CARER stages on CARER test, and every fine-tuning's training record."""

    NOTEBOOK: ClassVar[str] = "04_track2"
    majority_macro_f1: float
    selected: str
    selected_by: str
    families: dict[str, FamilyEntry]
    floors: dict[str, FloorEntry]
    models: dict[str, ModelEntry]
    stage1_carer_test: list[dict]
    training: dict[str, TrainingRecord]

    def __post_init__(self) -> None:
        self.families = _typed(self.families, FamilyEntry, f"{self.NOTEBOOK}: families")
        self.floors = _typed(self.floors, FloorEntry, f"{self.NOTEBOOK}: floors")
        self.models = _typed(self.models, ModelEntry, f"{self.NOTEBOOK}: models")
        self.training = training_map(self.training, self.NOTEBOOK)

    @classmethod
    def build(cls, results: Sequence, floors: Sequence, best, stage1_table: pd.DataFrame | None) -> Track2Record:
        """From notebook 04's ``results`` (:class:`wassa_lib.track2.ModelResult`), its ``floors`` (the majority
        class first), the selected result ``best`` and the CARER-test table."""
        training = {}
        for r in results:
            if r.stage1 and r.stage1.training:
                training[stage1_key(r.spec.model)] = r.stage1.training
            if r.training:
                training[f"track2_{r.spec.name}"] = r.training
        return cls(
            majority_macro_f1=floors[0].scores["macro_f1"],
            selected=best.spec.name,
            selected_by="validation macro-F1",
            families={
                r.spec.name: FamilyEntry(r.spec.family, r.spec.incremental, r.spec.model, r.spec.person_features)
                for r in results
            },
            floors={f.name: FloorEntry(**f.scores, valid_macro_f1=f.valid_score, setting=f.setting) for f in floors},
            models={
                r.spec.name: ModelEntry(
                    **r.scores,
                    valid_macro_f1=r.valid_macro_f1,
                    seconds=r.seconds,
                    invalid_generations=r.invalid_generations,
                    stage1=r.stage1,
                )
                for r in results
            },
            stage1_carer_test=[] if stage1_table is None else stage1_table.to_dict("records"),
            training=training,
        )


def training_records(run_dir: Path) -> dict[str, TrainingRecord]:
    """Every fine-tuning's training record (curve, kept epoch, costs, ``trained_at``) that the notebooks of
    ``run_dir`` saved, by name (the ``training`` entries of ``metrics/*.json``)."""
    found = {}
    for path in sorted(metrics_dir(run_dir).glob("*.json")):
        found.update(training_map(json.loads(path.read_text(encoding="utf-8")).get("training"), str(path)))
    return found
