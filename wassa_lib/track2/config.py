"""Track-2 configuration: one Table-4 model (family, base model, training) and the CARER stage's settings."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wassa_lib.data.carer import CarerSplits
from wassa_lib.data.wassa import subsample
from wassa_lib.hf.pooling import check_pooling
from wassa_lib.scoring import paper
from wassa_lib.settings import layout
from wassa_lib.settings.configs import TrainingConfig, check_types

FAMILIES = ("classification", "generation")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MODEL_KEYS = {
    "name",
    "family",
    "model",
    "incremental",
    "paper_model",
    "carer_checkpoint_of",
    "person_features",
    "pooling",
    "training",
}
STAGE1_BASE = "<the base model of each incremental model>"


@dataclass
class Track2Model:
    """One row of Table 4: a model family, its base model spec and its training settings."""

    name: str = field(metadata={"help": "the row's name and its folder under artifacts/track2"})
    family: str = field(metadata={"help": "classification ([CLS] into a linear layer) or generation (label word)"})
    training: TrainingConfig = field(metadata={"help": "the fine-tuning settings; training.model is the base"})
    incremental: bool = field(default=False, metadata={"help": "a CARER stage first (generation only)"})
    paper_model: str | None = field(
        default=None,
        metadata={"help": "the paper's Table-4 model whose number is printed beside this row, for comparison"},
    )
    carer_checkpoint_of: str | None = field(
        default=None,
        metadata={
            "help": "for a published checkpoint already fine-tuned on CARER (mrm8488/t5-base-finetuned-emotion): the "
            "base it was trained from (t5-base); pairs the row with that base and scores it on CARER test"
        },
    )
    person_features: bool = field(
        default=False,
        metadata={
            "help": "the paper's future work: the writer's demographics, personality and IRI written before the essay "
            "(wassa_lib.track2.inputs)"
        },
    )
    pooling: str = field(
        default="pooler",
        metadata={
            "help": "classification only: the vector the linear layer reads: pooler (the pooled [CLS] output, the "
            "paper's text), cls (the [CLS] last hidden state) or mean (masked mean; wassa_lib.track2.classifier)"
        },
    )

    def __post_init__(self) -> None:
        check_types(self)
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"name: must be a plain folder name (letters, digits, . _ -), got {self.name!r}")
        if self.family not in FAMILIES:
            raise ValueError(f"family: must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        if self.incremental and self.family != "generation":
            raise ValueError("incremental: the CARER stage is run for the generation family only")
        if self.carer_checkpoint_of is not None and (self.family != "generation" or self.incremental):
            raise ValueError("carer_checkpoint_of: only for a generation row without a CARER stage of its own")
        check_pooling(self.pooling)
        if self.pooling != "pooler" and self.family != "classification":
            raise ValueError("pooling: only a classification row pools the encoder's states")
        if self.paper_model is not None and self.paper_model not in paper.TABLE4:
            raise ValueError(f"paper_model: must be one of {', '.join(paper.TABLE4)} or null, got {self.paper_model!r}")

    def settings(self) -> dict:
        """The fields that decide whether a saved model may be reused (``person_features`` and ``pooling`` only
        where they differ from their defaults, so that rows saved before the fields existed are still found)."""
        fields = {**dataclasses.asdict(self), "training": self.training.settings()}
        for name, default in (("person_features", False), ("pooling", "pooler")):
            if fields[name] == default:
                del fields[name]
        return fields

    @property
    def model(self) -> str:
        """The base model spec (see :mod:`wassa_lib.hf.models`)."""
        return self.training.model

    @classmethod
    def from_params(cls, entry: dict, seed: int = 42, where: str = "track2_models") -> Track2Model:
        """Build from one ``track2_models`` entry: name, family, model, incremental, paper_model, training.
        An error names ``where`` and the key."""
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping (name, family, model, training), got {entry!r}")
        unknown = sorted(set(entry) - _MODEL_KEYS)
        missing = sorted({"name", "family", "model"} - set(entry))
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown key; known: {', '.join(sorted(_MODEL_KEYS))}")
        if missing:
            raise ValueError(f"{where}.{missing[0]}: missing")
        training = entry.get("training") or {}
        if isinstance(training, dict) and "model" in training:
            raise ValueError(f"{where}.training.model: name the model beside training, not in it")
        config = TrainingConfig.from_params(
            {"model": entry["model"], **training} if isinstance(training, dict) else training,
            seed,
            where=f"{where}.training",
        )
        try:
            return cls(
                name=entry["name"],
                family=entry["family"],
                training=config,
                incremental=entry.get("incremental", False),
                paper_model=entry.get("paper_model"),
                carer_checkpoint_of=entry.get("carer_checkpoint_of"),
                person_features=entry.get("person_features", False),
                pooling=entry.get("pooling", "pooler"),
            )
        except ValueError as err:
            raise ValueError(f"{where}.{err}") from None


@dataclass
class IncrementalConfig:
    """Stage 1 of incremental fine-tuning: its training settings and how many CARER lines it reads."""

    training: TrainingConfig = field(
        metadata={"help": "stage-1 settings; the model is each incremental model's own base"}
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "CARER training lines, subsampled per label (null = all 16000)"}
    )
    max_valid_samples: int | None = field(
        default=None, metadata={"help": "CARER validation lines scored per epoch (null = all 2000)"}
    )
    seed: int | None = field(
        default=None,
        metadata={
            "help": "the stage's own seed: one stage, trained once, serves every seed and tuning run of a record "
            "(as the paper's one published checkpoint serves all its runs); null = the run's seed, one stage per run"
        },
    )

    def __post_init__(self) -> None:
        check_types(self)
        for name in ("max_train_samples", "max_valid_samples"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name}: must be positive or null, got {value!r}")

    @classmethod
    def from_params(cls, params: dict, seed: int = 42, where: str = "track2_incremental") -> IncrementalConfig:
        """Build from the ``track2_incremental`` mapping; an error names ``where`` and the key."""
        if not isinstance(params, dict):
            raise ValueError(f"{where}: expected a mapping, got {params!r}")
        unknown = sorted(set(params) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(
                f"{where}.{unknown[0]}: unknown key; known: training, max_train_samples, max_valid_samples, seed"
            )
        training = params.get("training") or {}
        if isinstance(training, dict) and "model" in training:
            raise ValueError(
                f"{where}.training.model: stage 1 starts from each incremental model's own base; name no model here"
            )
        own_seed = params.get("seed")
        config = TrainingConfig.from_params(
            {"model": STAGE1_BASE, **training} if isinstance(training, dict) else training,
            own_seed if isinstance(own_seed, int) and not isinstance(own_seed, bool) else seed,
            where=f"{where}.training",
        )
        try:
            return cls(training=config, **{k: v for k, v in params.items() if k != "training"})
        except ValueError as err:
            raise ValueError(f"{where}.{err}") from None

    @property
    def shared(self) -> bool:
        """Whether one stage serves every run of a record (its own ``seed`` is set)."""
        return self.seed is not None

    def stage_root(self, run_dir: Path) -> Path:
        """The folder whose ``carer_stage/<base>`` holds the stage for the run in ``run_dir``."""
        return layout.carer_stage_root(run_dir) if self.shared else layout.track2_dir(run_dir)

    def training_for(self, model: str) -> TrainingConfig:
        """Stage-1 training settings starting from ``model``."""
        return dataclasses.replace(self.training, model=model)

    def data(self, carer: CarerSplits, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
        """CARER train and validation lines for stage 1, subsampled per label where capped."""
        return subsample(carer.train, self.max_train_samples, seed), subsample(carer.val, self.max_valid_samples, seed)

    def describe(self, carer: CarerSplits, seed: int = 42) -> str:
        """One line: how many CARER lines there are and how many stage 1 trains and validates on."""
        stage1_fit, stage1_valid = self.data(carer, seed)
        return (
            f"CARER: {len(carer.train)} training lines, of which stage 1 uses {len(stage1_fit)}; "
            f"{len(stage1_valid)} validation lines"
        )


def models_table(specs: list[Track2Model]) -> pd.DataFrame:
    """One row per Table-4 model of ``specs``: its family, base, whether it has the CARER stage, epochs, rate and
    the paper's model shown beside it."""
    return pd.DataFrame(
        [
            {
                "model": s.name,
                "family": s.family,
                "base": s.model,
                "incremental": s.incremental,
                "epochs": s.training.epochs,
                "learning_rate": s.training.learning_rate,
                "paper_model": s.paper_model,
            }
            for s in specs
        ]
    )
