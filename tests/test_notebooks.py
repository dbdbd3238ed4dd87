"""The notebooks stay thin: a parameters cell, calls into the library, a table or figure."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd

from wassa_lib.evaluation import records
from wassa_lib.evaluation import test_tables as evaluation
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
    record = {
        "validation_by_epoch": [0.31, 0.42, 0.4, 0.39],
        "best_epoch": 2,
        "epochs_run": 4,
        "epochs": 10,
        "stopped_by": "patience",
        "train_seconds": 123.4,
        "trained_at": "abcdef0123456",
    }
    line = records.stopping_lines({"empathy encoder": record})
    assert line == (
        "empathy encoder: validation 0.310 0.420 0.400 0.390; kept epoch 2 of 4 run (cap 10), "
        "stopped by patience; 123 s, trained at abcdef0"
    )
    assert "an unrecorded commit" in records.stopping_lines({"x": {**record, "trained_at": ""}})
