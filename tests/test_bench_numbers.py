"""Two benchmarked runs' Table-2/4 numbers side by side, and the typed records they and the report read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wassa_lib.cli import main
from wassa_lib.evaluation.records import FloorEntry, ModelEntry, Track2Record
from wassa_lib.runner.bench_numbers import number_changes
from wassa_lib.runner.bench_record import Benchmark

ROOT = Path(__file__).resolve().parents[1]


def _run(folder: Path, commit: str, svr: float, classifier: float) -> Path:
    (folder / "tables").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"git_commit": commit + "0" * 33}))
    pd.DataFrame(
        {
            "source": ["this kit", "this kit", "paper (BERT)"],
            "system": ["SVR", "MLP", "MLP"],
            "average": [svr, 0.40, 0.47],
            "below_floor": [False, False, False],
        }
    ).to_csv(folder / "tables" / "table2.csv", index=False)
    pd.DataFrame({"model": ["cls"], "paper_macro_f1": [0.38], "macro_f1": [classifier], "train_s": [100.0]}).to_csv(
        folder / "tables" / "table4.csv", index=False
    )
    return folder


def test_every_number_of_both_runs_is_set_beside_the_other(tmp_path):
    new = _run(tmp_path / "new", "aaaaaaa", 0.51, 0.49)
    old = _run(tmp_path / "old", "bbbbbbb", 0.50, 0.49)
    frame = number_changes(new, old)
    assert list(frame["row"]) == ["SVR", "MLP", "cls"]  # the paper's rows and columns, and times, left out
    assert list(frame["number"]) == ["average", "average", "macro_f1"]
    assert list(frame["difference"]) == [0.01, 0.0, 0.0]
    assert set(frame["commit"]) == {"aaaaaaa"} and set(frame["baseline_commit"]) == {"bbbbbbb"}


def test_the_command_says_which_run_is_unfinished(tmp_path, capsys):
    new = _run(tmp_path / "new", "aaaaaaa", 0.51, 0.49)
    assert main(["bench-numbers", str(new), str(tmp_path / "nowhere"), "--output", str(tmp_path / "n.csv")]) == 1
    assert "nowhere: no finished run (no manifest.json)" in capsys.readouterr().err
    assert main(["bench-numbers", str(new), str(new), "--output", str(tmp_path / "n.csv")]) == 0
    assert (pd.read_csv(tmp_path / "n.csv")["difference"] == 0).all()


def test_the_committed_benchmarks_and_track2_record_read_back_typed():
    for path in sorted((ROOT / "outputs" / "cpu").glob("benchmark*.json")):
        bench = Benchmark.load(path)
        assert bench.steps > 0 and all(r.validation_by_epoch for r in bench.training.values()), path.name
    record = Track2Record.load(ROOT / "outputs" / "cpu")
    assert isinstance(record.models[record.selected], ModelEntry)
    assert all(isinstance(f, FloorEntry) for f in record.floors.values())
    incremental = [m for name, m in record.models.items() if record.families[name].incremental]
    assert incremental and all(m.stage1 and m.stage1.training.steps > 0 for m in incremental)


def test_a_record_with_an_unknown_key_is_named(tmp_path):
    data = json.loads((ROOT / "outputs" / "cpu" / "benchmark.json").read_text(encoding="utf-8"))
    (tmp_path / "benchmark.json").write_text(json.dumps({**data, "speed": 1}))
    with pytest.raises(ValueError, match=r"benchmark.json: unknown keys speed$"):
        Benchmark.load(tmp_path / "benchmark.json")
