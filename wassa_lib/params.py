"""Params profiles: YAML layers read with one-line errors, and every parameter checked before a run starts.

A profile is ``params/base.yaml`` overlaid with ``params/<profile>.yaml`` and then
with any ``--params`` layer (top-level keys replace, as papermill's ``-f a -f b``).
:func:`check_params` builds every configuration object the notebooks will build,
so a wrong type or value is reported before the first notebook runs, naming the
parameter and the file it came from.
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Sequence

import yaml

from .config import REPO_ROOT, RunConfig, TrainingConfig
from .pooling import POOLINGS

PARAMS_DIR = REPO_ROOT / "params"


class RunError(RuntimeError):
    """A run could not start or a notebook failed; the message is one line for the user."""


def available_profiles(params_dir: Path = PARAMS_DIR) -> list[str]:
    return sorted(p.stem for p in params_dir.glob("*.yaml") if p.stem != "base")


def read_yaml(path: Path) -> dict:
    """One params file as a mapping; a syntax error becomes one line naming the file, line and column."""
    if not path.is_file():
        raise RunError(f"{path}: no such params file")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RunError(f"{path}: {where}invalid YAML ({err.problem or err.context})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RunError(f"{path}: invalid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(loaded, dict):
        raise RunError(f"{path}: expected a mapping of parameter names to values")
    return loaded


def resolve(profile: str, layers: Sequence[str | Path] = (), overrides: dict[str, tuple[object, str]] | None = None,
            params_dir: Path = PARAMS_DIR) -> tuple[dict, dict[str, Path]]:
    """The one way params are built, for the runner, the launcher and Colab: ``base.yaml``, then
    ``<profile>.yaml``, then each file of ``layers`` (which may only set parameters the profile has), then
    ``overrides`` (``{key: (value, where it came from)}``; a None value is skipped). Returns the params and,
    for each top-level key, what set it last (a file, or e.g. ``--data-dir``). Checking is
    :func:`check_params`'s."""
    base, layer = params_dir / "base.yaml", params_dir / f"{profile}.yaml"
    if not layer.is_file():
        raise RunError(f"{layer}: no such profile; available: {', '.join(available_profiles(params_dir))}")
    params: dict = {}
    origins: dict[str, Path] = {}
    for i, path in enumerate([base, layer, *map(Path, layers)]):
        loaded = read_yaml(path)
        unknown = sorted(set(loaded) - set(params) - {"profile"}) if i > 1 else []
        if unknown:
            raise RunError(f"{path}: unknown parameter {unknown[0]!r}; known: {', '.join(sorted(params))}")
        params.update(loaded)
        origins.update({key: path for key in loaded})
    params["profile"] = profile
    for key, (value, source) in (overrides or {}).items():
        if value is not None:
            params[key], origins[key] = value, Path(source)
    return params, origins


def load_params(profile: str, params_dir: Path = PARAMS_DIR, layers: Sequence[str | Path] = ()) -> dict:
    """The params of :func:`resolve` without their origins."""
    return resolve(profile, layers, params_dir=params_dir)[0]


def profile_defaults(namespace: dict) -> dict:
    """For a notebook: the values of its structured parameters that its parameters cell leaves at None (the
    models and training settings), taken from the profile ``namespace["profile"]`` names. A runner always
    passes them; a notebook opened by hand gets them here, so its cell holds only what a user would change."""
    profile = load_params(namespace.get("profile") or "cpu")
    return {k: profile[k] for k, v in namespace.items() if v is None and profile.get(k) is not None}


def _run_config(params: dict) -> RunConfig:
    keys = {f.name for f in fields(RunConfig)} & set(params)
    return RunConfig(**{k: params[k] for k in keys})


def _check_one(key: str, value) -> None:
    """Build what the notebooks build from ``key``; raises ValueError starting with the parameter's name."""
    if key == "track1_training":
        TrainingConfig.from_params(value, where=key)
    elif key == "track1_pooling":
        if value not in POOLINGS:
            raise ValueError(f"{key}: must be one of {', '.join(POOLINGS)}, got {value!r}")
    elif key in ("track1_regressors", "track1_authors_regressors"):
        from .comparison import per_score_params
        from .regressors import TARGETS, RegressorConfig

        if not isinstance(value, dict) or not value:
            raise ValueError(f"{key}: expected a mapping of regressor names to hyperparameters, got {value!r}")
        for name, hyper in value.items():
            try:
                for target in TARGETS if key == "track1_authors_regressors" else (None,):
                    RegressorConfig(name, hyper if target is None else per_score_params(hyper, target))
            except (ValueError, AttributeError) as err:
                raise ValueError(f"{key}.{name}: {err}") from None
    elif key == "track1_floor":
        if not isinstance(value, dict) or set(value) != {"tfidf", "ridge"}:
            raise ValueError(f"{key}: expected a mapping with the keys tfidf and ridge, got {value!r}")
    elif key == "launcher":
        from .launch import Launcher

        Launcher.parse(value)
    elif key == "floor_encoder":
        if not isinstance(value, str) or not value:
            raise ValueError(f"{key}: expected a model spec, got {value!r}")
    elif key in ("track1_scale_embeddings", "track1_multitask"):
        if not isinstance(value, bool):
            raise ValueError(f"{key}: expected true or false, got {value!r}")
    elif key == "bootstrap_resamples":
        if not isinstance(value, int) or isinstance(value, bool) or value < 10:
            raise ValueError(f"{key}: expected an integer of at least 10, got {value!r}")
    elif key == "seeds":
        if not isinstance(value, list) or not value or not all(isinstance(s, int) and not isinstance(s, bool)
                                                                for s in value):
            raise ValueError(f"{key}: expected a non-empty list of integers, got {value!r}")
    elif key == "track2_models":
        from .track2.config import Track2Model

        if not isinstance(value, list) or not value:
            raise ValueError(f"{key}: expected a non-empty list of models, got {value!r}")
        names = [Track2Model.from_params(entry, where=f"{key}[{i}]").name for i, entry in enumerate(value)]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{key}: the name {repeated[0]!r} is used twice; each model needs its own folder")
    elif key == "tuning_learning_rates":
        from .tuning import check_grid

        check_grid(value)
    elif key == "track2_incremental":
        from .track2.config import IncrementalConfig

        IncrementalConfig.from_params(value, where=key)


def check_params(params: dict, origins: dict[str, Path] | None = None) -> RunConfig:
    """Check every parameter's type and range; returns the run configuration.

    Raises :class:`RunError` naming the file that set the parameter, the parameter and what is wrong.
    """
    origins = origins or {}

    def fail(err: ValueError) -> RunError:
        message = str(err)
        key = message.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
        source = origins.get(key)
        return RunError(f"{source}: {message}" if source else f"parameter {message}")

    try:
        cfg = _run_config(params)
    except ValueError as err:
        raise fail(err) from None
    for key, value in params.items():
        try:
            _check_one(key, value)
        except ValueError as err:
            raise fail(err) from None
    return cfg
