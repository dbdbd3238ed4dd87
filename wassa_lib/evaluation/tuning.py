"""The same small tuning budget for every fine-tuned family, spent on the validation split.

``python -m wassa_lib run --profile P --tune`` runs notebooks 01, 02 and 04 (with ``--only 01 02``,
Track 1 alone) once per point of the profile's ``tuning_learning_rates`` grid, into ``<run folder>-tune<i>``.
At point ``i`` the Track-1 encoders train at the ``i``-th ``track1`` rate, every classification row of Table 4 at
the ``i``-th
``classification`` rate and every generation row (with or without the CARER stage; stage 1 keeps its
own rate) at the ``i``-th ``generation`` rate. Each fine-tuning stops early and keeps its best epoch on
validation, so the epochs are tuned with the rate.

The criterion is the validation score of what goes to test: for Track 1, the best of the profile's
regressors over ``[embeddings ; person features]`` for each rate and pooling
(:func:`wassa_lib.track1.embeddings.carried_by_pooling`, recorded by notebook 02); for Track 2, each model's own
validation macro-F1. Notebook 05 collects the runs into ``tuning.csv``: what was tried, its validation
score, what was kept, and whether the profile uses it. Dev and test play no part.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TypeVar

import pandas as pd

from wassa_lib.evaluation.records import Track1Record, Track2Record
from wassa_lib.settings.layout import manifest_path, metrics_path, tuning_run_dir

R = TypeVar("R", Track1Record, Track2Record)

FAMILIES = ("track1", "classification", "generation")
NOTEBOOKS = ("01", "02", "04")
TRACK1_SYSTEM = "Track-1 encoders (empathy, distress)"
CARRIED_METRIC = "validation average Pearson of the best regressor over [emp ; dis ; person]"


def check_grid(grid) -> dict[str, list[float]]:
    """The ``tuning_learning_rates`` mapping: one list of positive rates per family, all of one length."""
    key = "tuning_learning_rates"
    if not isinstance(grid, dict) or set(grid) != set(FAMILIES):
        raise ValueError(f"{key}: expected a mapping with the keys {', '.join(FAMILIES)}, got {grid!r}")
    for family, rates in grid.items():
        if (
            not isinstance(rates, list)
            or not rates
            or not all(isinstance(r, (int, float)) and not isinstance(r, bool) and r > 0 for r in rates)
        ):
            raise ValueError(f"{key}.{family}: expected a list of positive learning rates, got {rates!r}")
    lengths = {len(rates) for rates in grid.values()}
    if len(lengths) != 1:
        raise ValueError(
            f"{key}: every family needs as many rates (one per tuning run), got "
            + ", ".join(f"{f} {len(r)}" for f, r in grid.items())
        )
    return {family: [float(r) for r in grid[family]] for family in FAMILIES}


def points(params: dict) -> int:
    """How many tuning runs the profile's grid asks for."""
    return len(check_grid(params.get("tuning_learning_rates"))["track1"])


def variant(params: dict, point: int) -> dict:
    """The parameters that tuning run ``point`` (1-based) changes: every fine-tuning's learning rate. The
    future-work systems (the joint Track-1 encoder, Track-2 rows that read the person features) are left
    out of tuning runs; they train at the rates kept for the systems they extend."""
    grid = check_grid(params.get("tuning_learning_rates"))
    if not 1 <= point <= len(grid["track1"]):
        raise ValueError(f"tuning point {point}: the grid has {len(grid['track1'])} points")
    track1 = {**params["track1_training"], "learning_rate": grid["track1"][point - 1]}
    models = [entry for entry in copy.deepcopy(params["track2_models"]) if not entry.get("person_features")]
    for entry in models:
        entry["training"] = {**(entry.get("training") or {}), "learning_rate": grid[entry["family"]][point - 1]}
    return {"track1_training": track1, "track2_models": models, "track1_multitask": False}


def _read(run: Path, record: type[R]) -> R:
    path = metrics_path(run, record.NOTEBOOK)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: tuning run {run.name} did not finish (run "
            "`python -m wassa_lib run --profile <profile> --tune --resume`)"
        )
    return record.load(run)


def tuning_runs(run_dir: str | Path, n_points: int) -> dict[int, Path]:
    """The tuning runs of ``run_dir`` that exist, by point; empty where the profile was never tuned."""
    return {
        point: tuning_run_dir(run_dir, point)
        for point in range(1, n_points + 1)
        if manifest_path(tuning_run_dir(run_dir, point)).is_file()
    }


def _manifest(run: Path) -> dict:
    return json.loads(manifest_path(run).read_text(encoding="utf-8"))


def _run_params(run: Path) -> dict:
    return _manifest(run)["params"]


def _rows(point: int, run: Path) -> list[dict]:
    """One row per system of tuning run ``point``: its learning rate, validation score and kept epoch. A run
    of notebooks 01 and 02 alone (``--tune --only 01 02``) gives the Track-1 row only."""
    params = _run_params(run)
    encoders = _read(run, Track1Record)
    trained = [encoders.training[f"track1_{score}"] for score in ("empathy", "distress")]
    carried = encoders.carried_by_pooling
    rows = [
        {
            "track": 1,
            "system": TRACK1_SYSTEM,
            "family": "track1",
            "setting": "learning_rate",
            "value": params["track1_training"]["learning_rate"],
            "metric": CARRIED_METRIC + ", best pooling",
            "validation": max(carried.values()),
            "best_epoch": "/".join(str(record.best_epoch) for record in trained),
            "validation_by_epoch": json.dumps([record.validation_by_epoch for record in trained]),
            "point": point,
            "carried_by_pooling": carried,
        }
    ]
    if not any(name.startswith("04") for name in _manifest(run)["notebooks"]):
        return rows
    track2 = _read(run, Track2Record)
    for entry in params["track2_models"]:
        name = entry["name"]
        record = track2.training.get(f"track2_{name}")
        rows.append(
            {
                "track": 2,
                "system": name,
                "family": entry["family"] + (" + CARER stage" if entry.get("incremental") else ""),
                "setting": "learning_rate",
                "value": entry["training"]["learning_rate"],
                "metric": "validation macro-F1",
                "validation": track2.models[name].valid_macro_f1,
                "best_epoch": str(record and record.best_epoch),
                "validation_by_epoch": json.dumps(record and record.validation_by_epoch),
                "point": point,
            }
        )
    return rows


def profile_value(params: dict, system: str, setting: str):
    """The value the profile `params` use for `setting` of `system` (a row of tuning.csv)."""
    if system == TRACK1_SYSTEM:
        return params["track1_pooling"] if setting == "pooling" else params["track1_training"]["learning_rate"]
    for entry in params["track2_models"]:
        if entry["name"] == system:
            return (entry.get("training") or {}).get("learning_rate")
    return None


def _in_profile(frame: pd.DataFrame, params: dict) -> list[bool]:
    return [
        str(profile_value(params, s, k)) == str(v) for s, k, v in zip(frame["system"], frame["setting"], frame["value"])
    ]


def tuning_table(run_dir: str | Path, params: dict) -> pd.DataFrame | None:
    """``tuning.csv``: one row per system and value tried, its validation score and best epoch, ``kept``
    (the best validation score of the system's values; on a tie the profile's own) and ``in_profile``
    (the profile ``params`` use it). The Track-1 pooling rows come from the tuning run of the kept Track-1
    learning rate, so the rate and the pooling kept are the best pair. None where the profile has no tuning
    runs."""
    runs = tuning_runs(run_dir, points(params))
    if not runs:
        return None
    frame = pd.DataFrame([row for point, run in runs.items() for row in _rows(point, run)])
    probes = frame.pop("carried_by_pooling")
    frame["in_profile"] = _in_profile(frame, params)
    frame["kept"] = False
    for _, group in frame.groupby("system", sort=False):
        best = group[group["validation"] == group["validation"].max()]
        frame.loc[best.index[best["in_profile"]][0] if best["in_profile"].any() else best.index[0], "kept"] = True
    kept_track1 = frame[(frame["system"] == TRACK1_SYSTEM) & frame["kept"]].index[0]
    probe = probes[kept_track1] or {}
    pooling = [
        {
            "track": 1,
            "system": TRACK1_SYSTEM,
            "family": "track1",
            "setting": "pooling",
            "value": name,
            "metric": CARRIED_METRIC,
            "validation": score,
            "best_epoch": "",
            "validation_by_epoch": "",
            "point": frame.at[kept_track1, "point"],
            "kept": score == max(probe.values()),
        }
        for name, score in probe.items()
    ]
    pooling = pd.DataFrame(pooling)
    pooling.insert(len(pooling.columns) - 1, "in_profile", _in_profile(pooling, params))
    frame = pd.concat([frame, pooling], ignore_index=True)
    frame["validation"] = frame["validation"].astype(float).round(4)
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["system"]))}
    return frame.sort_values(
        ["track", "system", "setting", "point"], key=lambda c: c.map(order) if c.name == "system" else c, kind="stable"
    ).reset_index(drop=True)


def verdict(table: pd.DataFrame | None) -> str:
    """One line on :func:`tuning_table`: no tuning runs, or whether the profile uses every value kept."""
    if table is None:
        return "no tuning runs beside this run folder (python -m wassa_lib run --profile <profile> --tune)"
    off = table[table["kept"] & ~table["in_profile"]]
    return (
        "the profile uses every kept value"
        if off.empty
        else "kept but not what the profile uses: "
        + "; ".join(f"{r.system} {r.setting} {r.value}" for r in off.itertuples())
    )
