"""Every path of a run folder, in one place.

A run folder (``outputs/<profile>`` by default) holds ``notebooks/``, ``tables/``, ``figures/``,
``metrics/``, ``submission/``, ``manifest.json`` and ``artifacts/`` (models, embeddings and predictions,
never committed: ``artifacts/track1`` and ``artifacts/track2``). A run of another seed goes beside it as
``<run folder>-seed<N>``, a tuning run as ``<run folder>-tune<i>``, and the run's lock as the hidden file
``.<run folder name>.lock``.
"""

from __future__ import annotations

import re
from pathlib import Path

OUTPUTS_DIR = Path(__file__).resolve().parents[2] / "outputs"
MANIFEST = "manifest.json"
TRACK1 = "track1"
TRACK2 = "track2"


def default_run_dir(profile: str) -> Path:
    """``outputs/<profile>``: where the runner writes unless told otherwise."""
    return OUTPUTS_DIR / profile


def seed_run_dir(run_dir: str | Path, seed: int) -> Path:
    """Where ``python -m wassa_lib run --seed N`` writes the run of seed N of the same profile."""
    return Path(run_dir).with_name(f"{Path(run_dir).name}-seed{seed}")


def carer_stage_root(run_dir: str | Path) -> Path:
    """Where the CARER stage shared by every seed and tuning run of ``run_dir``'s record is kept:
    ``<run folder>-carer-stage`` beside it, for ``outputs/cpu``, ``outputs/cpu-seed1`` and ``outputs/cpu-tune2``
    alike."""
    run_dir = Path(run_dir)
    return run_dir.with_name(f"{re.sub(r'-(seed|tune)[0-9]+$', '', run_dir.name)}-carer-stage")


def tuning_run_dir(run_dir: str | Path, point: int) -> Path:
    """Where tuning run ``point`` (1-based) of the run folder ``run_dir`` goes: ``<run folder>-tune<point>``."""
    return Path(run_dir).with_name(f"{Path(run_dir).name}-tune{point}")


def lock_path(run_dir: str | Path) -> Path:
    """The lock of ``run_dir``: a hidden file beside it, so that it stays when the folder is set aside."""
    return Path(run_dir).with_name(f".{Path(run_dir).name}.lock")


def manifest_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / MANIFEST


def metrics_path(run_dir: str | Path, notebook: str) -> Path:
    """``metrics/<notebook>.json``: the record a notebook writes (``02_track1_finetune``, ``04_track2``...)."""
    return metrics_dir(run_dir) / f"{notebook}.json"


def table_path(run_dir: str | Path, name: str) -> Path:
    return tables_dir(run_dir) / f"{name}.csv"


def track1_dir(run_dir: str | Path) -> Path:
    """``artifacts/track1``: the Track-1 encoders, embeddings, selection and dev predictions."""
    return artifacts_dir(run_dir) / TRACK1


def track2_dir(run_dir: str | Path) -> Path:
    """``artifacts/track2``: the Track-2 models, their dev predictions and the selection."""
    return artifacts_dir(run_dir) / TRACK2


def erroneous_predictions_path(run_dir: str | Path) -> Path:
    """The test essays' Track-1 predictions as the authors' code made them (notebook 05); not for CodaLab."""
    return Path(run_dir) / "predictions" / "track1_as_run_erroneous_EMP.tsv"


def tables_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "tables"


def figures_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "figures"


def metrics_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "metrics"


def artifacts_dir(run_dir: str | Path) -> Path:
    """Models, embeddings and predictions: large, never committed."""
    return Path(run_dir) / "artifacts"


def require_file(path: Path, writer: str) -> Path:
    """``path``, or a FileNotFoundError naming the notebook that writes it."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; {writer} writes it (run it first with the same profile)")
    return path
