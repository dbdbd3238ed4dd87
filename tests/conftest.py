"""Shared fixtures: synthetic data in both released layouts, and the real data where it is present."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from wassa_lib.data.mock import write_mock_carer, write_mock_wassa
from wassa_lib.hf.training_record import TrainingRecord
from wassa_lib.runner.run import Runner

REPO = Path(__file__).resolve().parent.parent
REAL_CANDIDATES = [
    os.environ.get("WASSA_DATA_DIR"),
    REPO / "data" / "wassa2021",
    REPO.parent / "shared" / "data" / "wassa2021",
]


def _real_dir() -> Path | None:
    for candidate in REAL_CANDIDATES:
        if candidate and (Path(candidate) / "messages_train_ready_for_WS.tsv").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def maybe_real_dir() -> Path | None:
    """The real WASSA files where present, else None (callers fall back to synthetic files)."""
    return _real_dir()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    found = _real_dir()
    if found is None:
        pytest.skip("WASSA 2021 files not found: set WASSA_DATA_DIR to the directory holding them")
    return found


@pytest.fixture(scope="session")
def mock_2022(tmp_path_factory) -> Path:
    return write_mock_wassa(tmp_path_factory.mktemp("wassa2022"), layout="2022")


@pytest.fixture(scope="session")
def mock_2021(tmp_path_factory) -> Path:
    return write_mock_wassa(tmp_path_factory.mktemp("wassa2021"), layout="2021")


@pytest.fixture(scope="session")
def mock_carer(tmp_path_factory) -> Path:
    return write_mock_carer(tmp_path_factory.mktemp("carer"))


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, maybe_real_dir) -> Path:
    """Every notebook executed once on the smoke profile (real data where present); shared by the tests."""
    out = tmp_path_factory.mktemp("smoke") / "run"
    Runner(
        "smoke",
        data_dir=str(maybe_real_dir) if maybe_real_dir else "mock",
        output_dir=str(out),
        log_output=False,
        echo=lambda _: None,
    ).run()
    return out


@pytest.fixture(scope="session")
def smoke_data(smoke_run, maybe_real_dir) -> Path:
    """The WASSA folder the smoke run read (its manifest names it by its folder name only)."""
    return maybe_real_dir or smoke_run / "mock_data" / "wassa2021"


def training_record(**fields) -> TrainingRecord:
    """A fine-tuning's record with unit costs, the given ``fields`` (curve, kept epoch, ...) set."""
    costs = ("steps", "samples_per_second", "tokens", "steps_seconds", "seconds_per_step", "validation_seconds")
    more = ("validation_passes", "save_seconds", "saves", "training_flops", "training_flops_per_second", "world_size")
    batch = ("per_process_batch_size", "gradient_accumulation_steps", "global_batch_size")
    defaults = {"model": "m", "epochs": 10, "train_seconds": 1.0, "essays_per_process_per_epoch": 9}
    units = dict.fromkeys(costs + more, 1) | dict.fromkeys(batch, 16)
    return TrainingRecord(**{**defaults, **units, **fields})


def write_notebook(path: Path, body: str) -> None:
    """A notebook with a tagged parameters cell (profile, output_dir, resume, message) and one code cell."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "cpu"\noutput_dir = ""\nresume = False\nmessage = "hi"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def mini_kit(root: Path, base_yaml: str, notebooks: dict[str, str]) -> Path:
    """A miniature kit in ``root``: ``params/base.yaml`` (``base_yaml``), a ``tiny`` profile setting ``message``,
    and one notebook per entry of ``notebooks`` (name: code, see :func:`write_notebook`)."""
    (root / "notebooks").mkdir()
    (root / "params").mkdir()
    (root / "params" / "base.yaml").write_text(base_yaml)
    (root / "params" / "tiny.yaml").write_text("message: tiny\n")
    for name, body in notebooks.items():
        write_notebook(root / "notebooks" / f"{name}.ipynb", body)
    return root


def mini_runner(kit: Path, **kwargs) -> Runner:
    """A quiet runner of the ``tiny`` profile of :func:`mini_kit` into ``<kit>/out``."""
    return Runner(
        "tiny",
        output_dir=str(kit / "out"),
        log_output=False,
        echo=lambda _: None,
        notebooks_dir=kit / "notebooks",
        params_dir=kit / "params",
        **kwargs,
    )
