"""Validated configuration objects that the notebooks build from their parameters."""

from __future__ import annotations

import logging
import os
import sys
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

from wassa_lib.data.wassa import DataError, Splits, load_splits, train_validation_split
from wassa_lib.settings import layout

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


class ParameterError(ValueError):
    """A wrong value, with the name of the parameter it belongs to (``parameter``) beside the message."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


def _describe(hint) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return f"a list of {_describe(typing.get_args(hint)[0])}s" if typing.get_args(hint) else "a list"
    return {
        int: "an integer",
        float: "a number",
        bool: "true or false",
        str: "text",
        dict: "a mapping",
        type(None): "null",
    }.get(hint, getattr(hint, "__name__", str(hint)))


def _matches(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint) or (object,)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is type(None):
        return value is None
    return isinstance(value, hint) if isinstance(hint, type) else True


def check_types(config) -> None:
    """Check every field of the dataclass ``config`` against its annotation.

    Raises ``ValueError`` whose message starts with the field name, e.g.
    ``epochs: expected a number, got 'three'``.
    """
    hints = typing.get_type_hints(type(config))
    for f in fields(config):
        value = getattr(config, f.name)
        if _matches(value, hints[f.name]):
            continue
        hint = ""
        if isinstance(value, str) and float in (hints[f.name], *typing.get_args(hints[f.name])):
            try:
                float(value)
                hint = f" (YAML reads {value} as text: write a decimal point, e.g. 2.0e-5)"
            except ValueError:
                pass
        raise ParameterError(f.name, f"expected {_describe(hints[f.name])}, got {value!r}{hint}")


def _positive(name: str, value: float | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ParameterError(name, f"must be positive, got {value!r}")


def _help(text: str, **kwargs) -> dict:
    return {"metadata": {"help": text}, **kwargs}


@dataclass
class RunConfig:
    """Where a run reads its data and writes its results, and how the training file is split.

    A data folder that the user named (the parameter, or the environment variable)
    must exist. Synthetic files are used only for ``data_dir: mock``, or where
    nothing was named, the default folder is absent and ``allow_mock`` is set.
    """

    profile: str = field(default="cpu", **_help("params profile: cpu, paper or smoke"))
    data_dir: str = field(
        default="",
        **_help('WASSA files; "" = $WASSA_DATA_DIR, else data/wassa2021; "mock" = synthetic files in the run folder'),
    )
    carer_dir: str = field(
        default="",
        **_help('CARER files (train/val/test.txt); "" = $CARER_DATA_DIR, else data/emotion_carer; "mock" = synthetic'),
    )
    output_dir: str = field(
        default="",
        **_help(
            'run folder; the runner passes outputs/<profile>; "" (a notebook opened by hand) = '
            "outputs/interactive/<profile>, so an interactive run never writes into a committed run"
        ),
    )
    allow_mock: bool = field(default=False, **_help("synthetic files where no data folder is named or found"))
    seed: int = field(default=42, **_help("seed of the split, the subsample and every training"))
    valid_fraction: float = field(default=0.2, **_help("share of the training file held out for validation"))
    max_train_samples: int | None = field(
        default=None, **_help("cap on the essays trained on, applied to the fit part after the split (null = all)")
    )
    resume: bool = field(default=False, **_help("reuse finished models trained with the same settings"))

    def __post_init__(self) -> None:
        check_types(self)
        if not self.profile or any(c in self.profile for c in "/\\ "):
            raise ParameterError("profile", f"must be a plain name, got {self.profile!r}")
        if not 0.0 < self.valid_fraction < 1.0:
            raise ParameterError("valid_fraction", f"must lie in (0, 1), got {self.valid_fraction}")
        _positive("max_train_samples", self.max_train_samples, allow_none=True)

    @property
    def out(self) -> Path:
        """The run folder: ``output_dir``, else ``outputs/interactive/<profile>`` (a notebook run by hand)."""
        if self.output_dir:
            return Path(self.output_dir).expanduser().resolve()
        return REPO_ROOT / "outputs" / "interactive" / self.profile

    @property
    def tables_dir(self) -> Path:
        return _mkdir(layout.tables_dir(self.out))

    @property
    def figures_dir(self) -> Path:
        return _mkdir(layout.figures_dir(self.out))

    @property
    def artifacts_dir(self) -> Path:
        """Models, embeddings and predictions: large, never committed."""
        return _mkdir(layout.artifacts_dir(self.out))

    def uses_mock_wassa(self) -> bool:
        """Whether this run reads synthetic WASSA files (asked for, or the allowed fallback)."""
        return self.data_dir == "mock" or (
            _named(self.data_dir, WASSA_ENV) is None and self.allow_mock and not DEFAULT_WASSA_DIR.is_dir()
        )

    def uses_mock_carer(self) -> bool:
        """Whether this run reads synthetic CARER files."""
        if self.carer_dir == "mock" or (self.data_dir == "mock" and not self.carer_dir):
            return True
        return _named(self.carer_dir, CARER_ENV) is None and self.allow_mock and not DEFAULT_CARER_DIR.is_dir()

    def wassa_data_dir(self, write_mock: bool = True) -> Path:
        """The WASSA data folder this run reads; synthetic files are written on first use
        (``write_mock=False`` only says where they would be)."""
        if self.uses_mock_wassa():
            return self._mock_dir("wassa2021", "messages_train_ready_for_WS.tsv", write_mock)
        return _existing(self.data_dir, WASSA_ENV, DEFAULT_WASSA_DIR, "data_dir", "WASSA data")

    def carer_data_dir(self, write_mock: bool = True) -> Path:
        """The CARER data folder (train/val/test.txt) of the incremental stage; synthetic as for WASSA."""
        if self.uses_mock_carer():
            return self._mock_dir("emotion_carer", "train.txt", write_mock)
        return _existing(self.carer_dir, CARER_ENV, DEFAULT_CARER_DIR, "carer_dir", "CARER data")

    def _mock_dir(self, name: str, marker: str, write: bool) -> Path:
        """``<run folder>/mock_data/<name>``, its synthetic files written there first where ``write`` and
        ``marker`` is not there yet."""
        from wassa_lib.data.mock import write_mock_carer, write_mock_wassa

        target = self.out / "mock_data" / name
        if write and not (target / marker).is_file():
            logger.warning("no %s data folder named or found: synthetic files in %s", name, target)
            (write_mock_wassa if name == "wassa2021" else write_mock_carer)(target, seed=self.seed)
        return target

    def load_splits(self) -> Splits:
        return load_splits(self.wassa_data_dir())

    def split(self, train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The fit and validation parts of the training file.

        See :func:`~wassa_lib.data.wassa.train_validation_split`."""
        return train_validation_split(train, self.valid_fraction, self.seed, self.max_train_samples)


WASSA_ENV, CARER_ENV = "WASSA_DATA_DIR", "CARER_DATA_DIR"
DEFAULT_WASSA_DIR = REPO_ROOT / "data" / "wassa2021"
DEFAULT_CARER_DIR = REPO_ROOT / "data" / "emotion_carer"


def _named(value: str, env_var: str) -> tuple[str, str] | None:
    """``(folder, who named it)`` for a parameter value or an environment variable; None if neither is set."""
    if value:
        return value, "parameter"
    if os.environ.get(env_var):
        return os.environ[env_var], f"${env_var}"
    return None


def _existing(value: str, env_var: str, default: Path, param: str, what: str) -> Path:
    named = _named(value, env_var)
    if named is None:
        if default.is_dir():
            return default
        raise DataError(
            f"{default}: {what} folder not found; set ${env_var} or the {param} parameter "
            "(the smoke profile falls back to synthetic files)"
        )
    folder, who = named
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        source = f"the {param} parameter" if who == "parameter" else who
        raise DataError(f"{path}: {what} folder not found (named by {source})")
    return path


@dataclass
class TrainingConfig:
    """One fine-tuning run: the Trainer arguments that the params expose."""

    model: str = field(**_help("model spec: a hub id, a folder, packaged-minilm, tiny-encoder, ... (models.py)"))
    epochs: float = field(
        default=3.0,
        **_help("training epochs; with early_stopping_patience the cap, the learning rate decaying over all of them"),
    )
    early_stopping_patience: int | None = field(
        default=None,
        **_help(
            "stop once the validation metric has not improved for this many epochs, keeping the best "
            "(transformers' EarlyStoppingCallback); null = train every epoch"
        ),
    )
    batch_size: int = field(default=16, **_help("essays per device and step"))
    eval_batch_size: int = field(default=64, **_help("essays per batch when scoring the validation split"))
    learning_rate: float = field(default=2e-5, **_help("peak learning rate of AdamW (no weight decay by default)"))
    max_length: int = field(default=256, **_help("tokens kept per essay"))
    gradient_accumulation_steps: int = field(default=1, **_help("batches per optimizer step"))
    gradient_checkpointing: bool = field(default=False, **_help("recompute activations to save GPU memory"))
    precision: str = field(
        default="auto",
        **_help("auto (bf16 on compute capability >= 8.0, fp16 below, fp32 on a CPU), fp32, fp16 or bf16"),
    )
    warmup_ratio: float = field(default=0.0, **_help("share of the steps spent warming the learning rate up"))
    weight_decay: float = field(default=0.0, **_help("AdamW weight decay"))
    group_by_length: bool = field(default=True, **_help("batch essays of similar length (less padding)"))
    attention_dropout: float | None = field(
        default=None,
        **_help(
            "dropout on the attention probabilities (null = the model's own, 0.1 for BERT and MiniLM); 0 saves about "
            "a fifth of a CPU training step, whose random masks over every head's attention map are costly there"
        ),
    )
    max_steps: int = field(default=-1, **_help("stop after this many steps (-1 = the epochs decide)"))
    seed: int = field(default=42, **_help("seed of initialisation and data order"))
    resumable: bool = field(
        default=True,
        **_help(
            "keep the optimiser state in each epoch's checkpoint, so that an interrupted fine-tuning resumes where it "
            "stopped; false writes the model alone (a fraction of the cost) and an interrupted fine-tuning starts "
            "again. Not a setting of the model: saved models are reused whatever its value"
        ),
    )

    def __post_init__(self) -> None:
        check_types(self)
        if not self.model:
            raise ValueError("model: must not be empty")
        for name in (
            "epochs",
            "batch_size",
            "eval_batch_size",
            "learning_rate",
            "max_length",
            "gradient_accumulation_steps",
        ):
            _positive(name, getattr(self, name))
        _positive("early_stopping_patience", self.early_stopping_patience, allow_none=True)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision: must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"warmup_ratio: must lie in [0, 1), got {self.warmup_ratio}")
        if self.attention_dropout is not None and not 0.0 <= self.attention_dropout < 1.0:
            raise ValueError(f"attention_dropout: must lie in [0, 1) or be null, got {self.attention_dropout}")

    def settings(self) -> dict:
        """The fields a saved model is reused by; fields added after models were saved count only where they
        differ from their defaults, so that those models are still found."""
        values = asdict(self)
        values.pop("resumable")
        return {k: v for k, v in values.items() if not (k in _LATER_FIELDS and v == _LATER_FIELDS[k])}

    @classmethod
    def from_params(cls, params: dict, seed: int = 42, where: str = "") -> TrainingConfig:
        """Build from a params mapping; an error names ``where`` (e.g. ``track1_training``) and the key."""
        prefix = f"{where}." if where else ""
        if not isinstance(params, dict):
            raise ValueError(f"{where or 'training'}: expected a mapping of training settings, got {params!r}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{prefix}{unknown[0]}: unknown training parameter; known: {', '.join(sorted(known))}")
        try:
            return cls(**{"seed": seed, **params})
        except ValueError as err:
            raise ValueError(f"{prefix}{err}") from None


_LATER_FIELDS = {"early_stopping_patience": None, "attention_dropout": None}


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Launcher:
    """How a notebook starts its fine-tunings: ``inline`` (in its own process) or ``torchrun:N``."""

    kind: str = "inline"
    processes: int = 1

    @classmethod
    def parse(cls, value: str) -> Launcher:
        """``inline`` or ``torchrun:N`` (N processes, one per GPU); anything else is a ValueError."""
        if value == "inline":
            return cls()
        kind, _, count = str(value).partition(":")
        if kind == "torchrun" and count.isdigit() and int(count) >= 1:
            return cls("torchrun", int(count))
        raise ValueError(f"launcher: expected inline or torchrun:N (N processes, e.g. torchrun:2), got {value!r}")

    @property
    def inline(self) -> bool:
        return self.kind == "inline"

    def command(self, profile: str, layer: Path, job: str) -> list[str]:
        """The command that runs ``job`` with the params ``profile`` + ``layer``."""
        return [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={self.processes}",
            "-m",
            "wassa_lib",
            "train",
            "--profile",
            profile,
            "--params",
            str(layer),
            "--job",
            job,
        ]
