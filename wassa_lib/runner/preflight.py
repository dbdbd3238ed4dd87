"""Everything a run checks before it writes anything: every parameter, every model spec it will load, and
every data file the selected notebooks read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from wassa_lib.runner.params import RunError, check_params
from wassa_lib.settings.configs import RunConfig


def model_specs(params: dict, notebooks: Sequence[Path] | None = None) -> list[tuple[str, str, str]]:
    """``(top-level key, parameter, spec)`` of every model the notebooks (default: all) will load."""
    from wassa_lib.runner.kernel import list_notebooks

    numbers = {nb.name[:2] for nb in (notebooks if notebooks is not None else list_notebooks())}
    specs = []
    if numbers & {"02", "03", "05"}:
        specs.append(("track1_training", "track1_training.model", (params.get("track1_training") or {}).get("model")))
    if numbers & {"03", "04"}:
        specs.append(("floor_encoder", "floor_encoder", params.get("floor_encoder")))
    if numbers & {"04", "05"}:
        specs += [
            ("track2_models", f"track2_models[{i}].model", m.get("model"))
            for i, m in enumerate(params.get("track2_models") or [])
            if isinstance(m, dict)
        ]
    return [(key, name, spec) for key, name, spec in specs if key in params]


def check_model_specs(params: dict, origins: dict, notebooks: Sequence[Path]) -> None:
    """Every model spec the selected notebooks will load can be resolved (:func:`wassa_lib.hf.models.check_spec`);
    else one line naming the file and the parameter that set it."""
    from wassa_lib.hf.models import ModelSpecError, check_spec

    for key, name, spec in model_specs(params, notebooks):
        try:
            check_spec(spec)
        except ModelSpecError as err:
            raise RunError(f"{origins.get(key, 'parameter')}: {name}: {err}") from None


def uses_carer(params: dict) -> bool:
    """Whether a Track-2 row of the profile trains a CARER stage."""
    return any(isinstance(m, dict) and m.get("incremental") for m in params.get("track2_models", []))


def needs_carer(notebooks: Sequence[Path], params: dict) -> bool:
    """Whether notebook 04 is selected and trains a CARER stage."""
    return any(nb.name.startswith("04") for nb in notebooks) and uses_carer(params)


def check(params: dict, origins: dict, notebooks: Sequence[Path], echo: Callable[[str], None] = print) -> RunConfig:
    """Every parameter's type and range, every model spec, the WASSA files, and the CARER files where
    notebook 04 will read them. Writes nothing."""
    from wassa_lib.data.carer import load_carer
    from wassa_lib.data.wassa import DataError, load_splits

    cfg = check_params(params, origins)
    check_model_specs(params, origins, notebooks)
    sources = [("data", "WASSA", cfg.uses_mock_wassa, cfg.wassa_data_dir, load_splits)]
    if needs_carer(notebooks, params):
        sources.append(("CARER data", "CARER", cfg.uses_mock_carer, cfg.carer_data_dir, load_carer))
    try:
        for label, what, uses_mock, folder, load in sources:
            if uses_mock():
                echo(f"{label}: synthetic {what} files (asked for, or no folder named and none found)")
            else:
                load(folder())
                echo(f"{label}: {folder()}")
    except DataError as err:
        raise RunError(str(err)) from None
    return cfg
