"""The notebooks stay thin: a parameters cell, calls into the library, a table or figure."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import training_record

from wassa_lib.evaluation import records
from wassa_lib.evaluation import test_tables as evaluation
from wassa_lib.hf.training_record import TrainingRecord
from wassa_lib.settings.layout import metrics_path

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _code(notebook: Path) -> list[str]:
    cells = nbformat.read(notebook, as_version=4).cells
    return [line for c in cells if c.cell_type == "code" for line in c.source.splitlines() if line.strip()]


def test_the_five_notebooks_hold_at_most_350_lines_of_code_and_leave_records_to_the_library():
    assert len(NOTEBOOKS) == 5
    work = [line for nb in NOTEBOOKS for line in _code(nb) if not line.startswith(("from ", "import "))]
    assert len(work) <= 350  # imports aside: one line per library module a notebook uses
    for nb in NOTEBOOKS:
        assert not [line for line in _code(nb) if "save_metrics(" in line and "{" in line], nb.name


def test_the_test_record_holds_table5_and_table3_and_the_data_record_reads_back(tmp_path):
    table5 = pd.DataFrame({"metric": ["macro_f1", "accuracy"], "ours": [0.45, 0.6]})
    table3 = pd.DataFrame({"metric": ["average"], "ours": [0.5]})
    assert evaluation.save_test_metrics(tmp_path, table5) == {"macro_f1": 0.45, "accuracy": 0.6}
    assert evaluation.save_test_metrics(tmp_path, table5, table3)["pearson_average"] == 0.5
    assert json.loads(metrics_path(tmp_path, "05_test").read_text(encoding="utf-8"))["pearson_average"] == 0.5
    records.DataRecord(0.63, {"train": 1860}).save(tmp_path)
    assert records.DataRecord.load(tmp_path) == records.DataRecord(0.63, {"train": 1860})


def test_a_read_back_model_says_how_it_trained():
    record = training_record(
        validation_by_epoch=[0.31, 0.42, 0.4, 0.39],
        best_epoch=2,
        epochs_run=4,
        epochs=10,
        stopped_by="patience",
        train_seconds=123.4,
        trained_at="abcdef0123456",
    )
    line = records.stopping_lines({"empathy encoder": record})
    assert line == (
        "empathy encoder: validation 0.310 0.420 0.400 0.390; kept epoch 2 of 4 run (cap 10), "
        "stopped by patience; 123 s, trained at abcdef0"
    )
    assert "an unrecorded commit" in records.stopping_lines({"x": dataclasses.replace(record, trained_at="")})
    assert TrainingRecord.from_dict(dataclasses.asdict(record), "r") == record
    with pytest.raises(ValueError, match=r"^r: unknown keys steps_per_epoch$"):
        TrainingRecord.from_dict({**dataclasses.asdict(record), "steps_per_epoch": 3}, "r")
    with pytest.raises(ValueError, match=r"^r: missing keys best_epoch$"):
        TrainingRecord.from_dict({k: v for k, v in dataclasses.asdict(record).items() if k != "best_epoch"}, "r")


def test_the_curves_over_seeds_draw_every_seed_of_every_model():
    from wassa_lib.evaluation import plots

    def record(curve: list[float]) -> TrainingRecord:
        return training_record(validation_by_epoch=curve, best_epoch=curve.index(max(curve)) + 1, epochs=10)

    curves = {
        42: {"track1_empathy": record([0.3, 0.4, 0.35]), "track2_cls": record([0.4, 0.5])},
        1: {"track1_empathy": record([0.2, 0.45]), "track2_cls": record([0.45, 0.4, 0.41, 0.3])},
    }
    fig = plots.validation_curves_over_seeds(curves)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["empathy", "cls"]
    assert [len(ax.get_lines()) for ax in panels] == [2, 2]
    assert [len(line.get_xdata()) for line in panels[1].get_lines()] == [2, 4]
    assert panels[0].get_ylabel() == "validation Pearson" and panels[1].get_ylabel() == "validation macro-F1"
