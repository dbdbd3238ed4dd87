"""Every model of a run was trained with the settings its params resolve to today.

Each training record in ``metrics/*.json`` carries the resolved settings it was trained with
(:func:`wassa_lib.hf.training.train`). :func:`settings_drift` resolves the run's profile and layers (from its
manifest) as they stand now, builds each model's training settings the way the notebooks do, and names every
model and setting where the two differ, or where a record holds no settings at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from wassa_lib.evaluation.records import training_records
from wassa_lib.runner.params import resolve
from wassa_lib.settings.configs import REPO_ROOT, TrainingConfig
from wassa_lib.settings.layout import manifest_path
from wassa_lib.track2.config import IncrementalConfig, Track2Model
from wassa_lib.track2.training import stage1_key, stage1_model_name

TRACK1 = ("track1_empathy", "track1_distress", "track1_joint")


def expected_settings(params: dict, seed: int) -> dict[str, dict]:
    """The training settings of every model the params describe, by the name its training record has."""
    track1 = TrainingConfig.from_params(params["track1_training"], seed=seed).settings()
    expected = {name: track1 for name in TRACK1}
    incremental = IncrementalConfig.from_params(params["track2_incremental"], seed)
    for entry in params["track2_models"]:
        spec = Track2Model.from_params(entry, seed)
        pooling = {"pooling": spec.pooling} if spec.family == "classification" else {}
        start = {"model": stage1_model_name(spec.model)} if spec.incremental else {}
        expected[f"track2_{spec.name}"] = {**spec.training.settings(), **pooling, **start}
        if spec.incremental:
            expected[stage1_key(spec.model)] = incremental.training_for(spec.model).settings()
    return expected


def settings_drift(run_dir: Path) -> list[str]:
    """One line per model of ``run_dir`` trained with settings other than today's params give (or with none
    recorded); empty when every model matches."""
    manifest = json.loads(manifest_path(run_dir).read_text(encoding="utf-8"))
    layers = [REPO_ROOT / layer for layer in manifest.get("params_layers", [])]  # relative to the repository
    params, _ = resolve(manifest["profile"], layers)
    expected = expected_settings(params, manifest["params"]["seed"])
    lines = []
    for name, record in training_records(run_dir).items():
        recorded = record.settings
        if recorded is None:
            lines.append(f"{name}: no training settings recorded (trained at {record.commit})")
            continue
        wanted = expected.get(name)
        if wanted is None:
            lines.append(f"{name}: not a model of today's params")
            continue
        lines += [
            f"{name}: {key} {recorded.get(key)!r} in the record, {value!r} from today's params"
            for key, value in wanted.items()
            if recorded.get(key) != value
        ]
    return lines
