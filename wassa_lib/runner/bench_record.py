"""``benchmark.json``: what ``python -m wassa_lib bench`` measured of one profile at one commit, typed."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from wassa_lib.hf.training_record import TrainingRecord, training_map
from wassa_lib.settings.typed import from_fields


@dataclass(frozen=True)
class Benchmark:
    """One benchmarked run: wall time and memory per notebook, every fine-tuning's record, the cost of one
    training step, and the ``predict`` throughput. ``commit`` and ``layers`` are absent from the oldest files."""

    profile: str
    machine: dict
    peak_flops: dict
    notebooks: dict[str, dict]
    total_wall_s: float
    training: dict[str, TrainingRecord]
    training_step: dict
    predict: dict
    commit: str = "an unrecorded commit"
    layers: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "training", training_map(self.training, "benchmark.json"))

    @classmethod
    def load(cls, path: Path) -> Benchmark:
        return from_fields(cls, json.loads(Path(path).read_text(encoding="utf-8")), str(path))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    @property
    def steps(self) -> int:
        """Optimiser steps of its fine-tunings: what its time mostly scales with."""
        return sum(record.steps for record in self.training.values())

    @property
    def minutes(self) -> str:
        return f"{self.total_wall_s / 60:.0f} min"
