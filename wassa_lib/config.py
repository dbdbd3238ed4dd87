"""Validated configuration objects that the notebooks build from their parameters."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from .data import Splits, load_splits, resolve_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
PRECISIONS = ("auto", "fp32", "fp16", "bf16")
POOLINGS = ("cls", "mean")


def _positive(name: str, value: float | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


@dataclass
class RunConfig:
    """Where a run reads its data and writes its results.

    ``data_dir``: a directory of WASSA files; ``""`` means ``$WASSA_DATA_DIR``, else
    ``data/wassa2021``; ``"mock"`` means synthetic files written into the run folder.
    With ``allow_mock`` a missing data directory falls back to the synthetic files.
    """

    profile: str = "cpu"
    data_dir: str = ""
    carer_dir: str = ""
    output_dir: str = ""
    allow_mock: bool = False
    seed: int = 42
    valid_fraction: float = 0.2
    max_train_samples: int | None = None
    resume: bool = False

    def __post_init__(self) -> None:
        if not self.profile or any(c in self.profile for c in "/\\ "):
            raise ValueError(f"profile must be a plain name, got {self.profile!r}")
        if not 0.0 < self.valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must lie in (0, 1), got {self.valid_fraction}")
        _positive("max_train_samples", self.max_train_samples, allow_none=True)

    @property
    def out(self) -> Path:
        """The run folder, ``outputs/<profile>`` unless ``output_dir`` says otherwise."""
        return Path(self.output_dir).resolve() if self.output_dir else REPO_ROOT / "outputs" / self.profile

    @property
    def tables_dir(self) -> Path:
        return _mkdir(self.out / "tables")

    @property
    def figures_dir(self) -> Path:
        return _mkdir(self.out / "figures")

    @property
    def artifacts_dir(self) -> Path:
        """Models, embeddings and predictions: large, never committed."""
        return _mkdir(self.out / "artifacts")

    @property
    def wassa_dir(self) -> Path:
        """The WASSA data directory this run reads (synthetic files where allowed or asked for)."""
        if self.data_dir == "mock":
            return self._mock_wassa()
        path = resolve_data_dir(self.data_dir, "WASSA_DATA_DIR", str(REPO_ROOT / "data" / "wassa2021"))
        if not path.is_dir() and self.allow_mock and not self.data_dir:
            return self._mock_wassa()
        return path

    @property
    def carer_path(self) -> Path:
        """The CARER emotion data directory (train/val/test.txt) for incremental fine-tuning."""
        if self.carer_dir == "mock" or (self.data_dir == "mock" and not self.carer_dir):
            return self._mock_carer()
        path = resolve_data_dir(self.carer_dir, "CARER_DATA_DIR", str(REPO_ROOT / "data" / "emotion_carer"))
        if not path.is_dir() and self.allow_mock and not self.carer_dir:
            return self._mock_carer()
        return path

    def _mock_wassa(self) -> Path:
        from .mock import write_mock_wassa

        target = self.out / "mock_data" / "wassa2021"
        return target if (target / "messages_train_ready_for_WS.tsv").is_file() else \
            write_mock_wassa(target, seed=self.seed)

    def _mock_carer(self) -> Path:
        from .mock import write_mock_carer

        target = self.out / "mock_data" / "emotion_carer"
        return target if (target / "train.txt").is_file() else write_mock_carer(target, seed=self.seed)

    def load_splits(self) -> Splits:
        return load_splits(self.wassa_dir)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainingConfig:
    """Knobs of one fine-tuning run (the Trainer's arguments that the params expose)."""

    model: str
    epochs: float = 3.0
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 2e-5
    max_length: int = 256
    gradient_accumulation_steps: int = 1
    gradient_checkpointing: bool = False
    precision: str = "auto"
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    group_by_length: bool = True
    max_steps: int = -1
    seed: int = 42

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model spec must not be empty")
        for name in ("epochs", "batch_size", "eval_batch_size", "learning_rate", "max_length",
                     "gradient_accumulation_steps"):
            _positive(name, getattr(self, name))
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"warmup_ratio must lie in [0, 1), got {self.warmup_ratio}")

    @classmethod
    def from_params(cls, params: dict, seed: int = 42) -> "TrainingConfig":
        """Build from a params dict, naming any key this config does not know."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"unknown training parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{"seed": seed, **params})


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path

