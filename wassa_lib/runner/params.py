"""Params profiles: YAML layers read with one-line errors, and every parameter checked before a run starts.

A profile is ``params/base.yaml`` overlaid with ``params/<profile>.yaml`` (top-level keys replace, as
papermill's ``-f a -f b``) and then with any ``--params`` layer, which is merged in depth: a layer that
sets ``track1_training: {epochs: 5}`` changes that one setting and keeps the profile's others; a list
(``track2_models``, ``seeds``) is replaced whole.
:func:`check_params` builds every configuration object the notebooks will build,
so a wrong type or value is reported before the first notebook runs, naming the
parameter and the file it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

import yaml

from wassa_lib.hf.pooling import check_pooling
from wassa_lib.settings.configs import REPO_ROOT, ParameterError, RunConfig, TrainingConfig
from wassa_lib.track1.head import HEADS

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


def deep_merge(into: dict, layer: dict) -> dict:
    """``into`` with ``layer`` on top: mappings merged key by key, anything else (lists too) replaced."""
    out = dict(into)
    for key, value in layer.items():
        both = isinstance(value, dict) and isinstance(into.get(key), dict)
        out[key] = deep_merge(into[key], value) if both else value
    return out


def resolve(
    profile: str,
    layers: Sequence[str | Path] = (),
    overrides: dict[str, tuple[object, str]] | None = None,
    params_dir: Path = PARAMS_DIR,
) -> tuple[dict, dict[str, Path]]:
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
        params = deep_merge(params, loaded) if i > 1 else {**params, **loaded}
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


def notebook_setup(namespace: dict) -> RunConfig:
    """A notebook's first step: progress lines on, the parameters its cell leaves at None filled in from the
    profile (in ``namespace``, the notebook's globals; see :func:`profile_defaults`), and the run configuration
    from those of its parameters that are :class:`RunConfig` fields."""
    from wassa_lib.hf.progress import show

    show()
    namespace.update(profile_defaults(namespace))
    return run_config(namespace)


def run_config(params: dict) -> RunConfig:
    """The run configuration from those of ``params`` that are :class:`RunConfig` fields."""
    keys = {f.name for f in fields(RunConfig)} & set(params)
    return RunConfig(**{k: params[k] for k in keys})


def _expect(ok: Callable[[object], bool], what: str) -> Callable[[str, object], None]:
    """A check that raises ``<key>: expected <what>, got <value>`` unless ``ok(value)``."""

    def check(key: str, value) -> None:
        if not ok(value):
            raise ValueError(f"{key}: expected {what}, got {value!r}")

    return check


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of(choices: Sequence[str]) -> Callable[[str, object], None]:
    def check(key: str, value) -> None:
        if value not in choices:
            raise ValueError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")

    return check


def _regressors(key: str, value) -> None:
    from wassa_lib.track1.regressors import TARGETS, RegressorConfig
    from wassa_lib.track1.table2 import per_score_params

    _expect(lambda v: isinstance(v, dict) and bool(v), "a mapping of regressor names to hyperparameters")(key, value)
    for name, hyper in value.items():
        try:
            for target in TARGETS if key == "track1_authors_regressors" else (None,):
                RegressorConfig(name, hyper if target is None else per_score_params(hyper, target))
        except (ValueError, AttributeError) as err:
            raise ValueError(f"{key}.{name}: {err}") from None


def _track2_models(key: str, value) -> None:
    from wassa_lib.track2.config import Track2Model

    _expect(lambda v: isinstance(v, list) and bool(v), "a non-empty list of models")(key, value)
    names = [Track2Model.from_params(entry, where=f"{key}[{i}]").name for i, entry in enumerate(value)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{key}: the name {repeated[0]!r} is used twice; each model needs its own folder")


def _launcher(key: str, value) -> None:
    from wassa_lib.settings.configs import Launcher

    Launcher.parse(value)


def _grid(key: str, value) -> None:
    from wassa_lib.evaluation.tuning import check_grid

    check_grid(value)


def _incremental(key: str, value) -> None:
    from wassa_lib.track2.config import IncrementalConfig

    IncrementalConfig.from_params(value, where=key)


# What each parameter must be: the check builds what the notebooks build from it (the configs' own field checks),
# or checks its type and range; the error starts with the parameter's name. RunConfig's keys are its fields'.
CHECKS: dict[str, Callable[[str, object], None]] = {
    "track1_training": lambda key, value: TrainingConfig.from_params(value, where=key),
    "track1_pooling": lambda key, value: check_pooling(value, key),
    "track1_head": _one_of(HEADS),
    "track1_regressors": _regressors,
    "track1_authors_regressors": _regressors,
    "track1_floor": _expect(
        lambda v: isinstance(v, dict) and set(v) == {"tfidf", "ridge"}, "a mapping with the keys tfidf and ridge"
    ),
    "track1_scale_embeddings": _expect(lambda v: isinstance(v, bool), "true or false"),
    "track1_multitask": _expect(lambda v: isinstance(v, bool), "true or false"),
    "launcher": _launcher,
    "floor_encoder": _expect(lambda v: isinstance(v, str) and bool(v), "a model spec"),
    "bootstrap_resamples": _expect(lambda v: _is_int(v) and v >= 10, "an integer of at least 10"),
    "seeds": _expect(
        lambda v: isinstance(v, list) and bool(v) and all(_is_int(s) for s in v), "a non-empty list of integers"
    ),
    "track2_models": _track2_models,
    "tuning_learning_rates": _grid,
    "track2_incremental": _incremental,
}


def check_params(params: dict, origins: dict[str, Path] | None = None) -> RunConfig:
    """Check every parameter's type and range; returns the run configuration.

    Raises :class:`RunError` naming the file that set the parameter, the parameter and what is wrong.
    """
    origins = origins or {}

    def fail(err: ValueError, key: str) -> RunError:
        source = origins.get(key)
        return RunError(f"{source}: {err}" if source else f"parameter {err}")

    try:
        cfg = run_config(params)
    except ParameterError as err:  # a RunConfig field: the parameter of that name
        raise fail(err, err.parameter) from None
    for key, value in params.items():
        try:
            CHECKS.get(key, lambda *_: None)(key, value)
        except ValueError as err:
            raise fail(err, key) from None
    return cfg
