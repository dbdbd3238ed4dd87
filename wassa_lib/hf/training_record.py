"""What one fine-tuning leaves behind: its validation curve, the epoch kept, what stopped it, the settings and
commit it was trained with, and what it cost. Written beside the saved model and into the notebooks' records;
read back by the tables, the claims, the report and the benchmark."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from wassa_lib.settings.typed import from_fields

PATIENCE, CAP = "patience", "cap"


@dataclass(frozen=True)
class TrainingRecord:
    """One fine-tuning's record (:func:`wassa_lib.hf.training.train`). Fields added to the record over time
    (``epochs_run`` on) are optional, so that records saved before them still read back."""

    model: str = field(metadata={"help": "the model fine-tuned (a hub name, a packaged name, or a stage's name)"})
    steps: int = field(metadata={"help": "optimiser steps taken"})
    epochs: float = field(metadata={"help": "the cap of epochs"})
    train_seconds: float = field(metadata={"help": "the Trainer's training time, validation and saves included"})
    samples_per_second: float = field(metadata={"help": "training essays per second"})
    tokens: int = field(metadata={"help": "input tokens the training passed over"})
    steps_seconds: float = field(metadata={"help": "seconds in optimiser steps alone"})
    seconds_per_step: float = field(metadata={"help": "steps_seconds over steps"})
    validation_seconds: float = field(metadata={"help": "seconds in validation passes"})
    validation_passes: int = field(metadata={"help": "validation passes run"})
    save_seconds: float = field(metadata={"help": "seconds in checkpoint saves"})
    saves: int = field(metadata={"help": "checkpoints saved"})
    training_flops: float = field(metadata={"help": "estimated FLOPs of the training passes"})
    training_flops_per_second: float = field(metadata={"help": "training_flops over steps_seconds"})
    world_size: int = field(metadata={"help": "processes that trained together"})
    per_process_batch_size: int = field(metadata={"help": "essays per step and process"})
    gradient_accumulation_steps: int = field(metadata={"help": "batches accumulated per optimiser step"})
    global_batch_size: int = field(metadata={"help": "essays per optimiser step over every process"})
    essays_per_process_per_epoch: int = field(metadata={"help": "training essays each process reads per epoch"})
    validation_by_epoch: list[float] = field(metadata={"help": "the validation metric after each epoch"})
    best_epoch: int | None = field(metadata={"help": "the epoch kept (1-based), by the validation metric"})
    epochs_run: int | None = field(default=None, metadata={"help": "epochs run before patience or the cap"})
    stopped_by: str | None = field(
        default=None, metadata={"help": f"'{PATIENCE}' or '{CAP}'; None for a run of fixed epochs"}
    )
    trained_at: str | None = field(default=None, metadata={"help": "the commit the model was trained at"})
    settings: dict[str, Any] | None = field(
        default=None, metadata={"help": "the resolved training settings (TrainingConfig.settings())"}
    )
    dev_by_epoch: list[dict[str, float]] | None = field(
        default=None, metadata={"help": "dev scores after each epoch, where the model can be carried"}
    )
    peak_gpu_mb: float | None = field(default=None, metadata={"help": "peak GPU memory allocated, on a GPU"})
    model_flops_utilisation: float | None = field(
        default=None, metadata={"help": "training FLOP/s over the measured peak (the benchmark adds it)"}
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "training record") -> TrainingRecord:
        """The record saved as JSON; an unknown or missing required key is an error naming ``where``."""
        return from_fields(cls, data, where)

    def with_settings(self, **changes: Any) -> TrainingRecord:
        """This record with ``changes`` merged into its settings (what a row adds: its pooling, its start)."""
        return dataclasses.replace(self, settings={**(self.settings or {}), **changes})

    @property
    def ran(self) -> int:
        """Epochs run: recorded, or the length of the curve in records saved before that was recorded."""
        return self.epochs_run if self.epochs_run is not None else len(self.validation_by_epoch)

    @property
    def commit(self) -> str:
        """The short commit it was trained at, or words saying it was not recorded."""
        return self.trained_at[:7] if self.trained_at else "an unrecorded commit"

    @property
    def seconds_per_save(self) -> float | None:
        return round(self.save_seconds / self.saves, 2) if self.saves else None

    def kept_dev(self) -> dict[str, float] | None:
        """The dev scores of the epoch kept, or None where dev was not scored after every epoch run."""
        dev = self.dev_by_epoch or []
        if self.best_epoch is None or len(dev) != self.ran:  # resumed before its dev scores were checkpointed
            return None
        return dev[self.best_epoch - 1]


def training_map(entries: dict[str, Any] | None, where: str) -> dict[str, TrainingRecord]:
    """``entries`` (name → a record or its JSON) as records; ``where`` names the file in errors."""
    return {
        name: entry if isinstance(entry, TrainingRecord) else TrainingRecord.from_dict(entry, f"{where}: {name}")
        for name, entry in (entries or {}).items()
    }
