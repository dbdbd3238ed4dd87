"""End to end: every notebook through papermill on the smoke profile, then the tables they recorded."""
from __future__ import annotations

import json
import numpy as np
import pandas as pd
import pytest

from wassa_lib.run import list_notebooks

TABLES = {"01": ["table1"], "03": ["table2"], "04": ["table4"], "05": ["table5"]}


def test_every_notebook_ran(smoke_run):
    manifest = json.loads((smoke_run / "manifest.json").read_text())
    assert {nb.stem for nb in list_notebooks()} == set(manifest["notebooks"])
    assert all(rec["status"] == "done" for rec in manifest["notebooks"].values())
    assert manifest["git_commit"] and manifest["data_files"]


def test_every_table_is_written_and_finite(smoke_run):
    present = {nb.name[:2] for nb in list_notebooks()}
    for number, names in TABLES.items():
        if number not in present:
            continue
        for name in names:
            df = pd.read_csv(smoke_run / "tables" / f"{name}.csv")
            assert len(df) > 0, name
            ours = df.select_dtypes("number").drop(columns=[c for c in df.columns if c.startswith("paper")],
                                                   errors="ignore")
            assert np.isfinite(ours.to_numpy(dtype=float)[~np.isnan(ours.to_numpy(dtype=float))]).all(), name
            assert (smoke_run / "tables" / f"{name}.md").is_file()


def test_table1_on_the_data_it_read(smoke_run, maybe_real_dir):
    table1 = pd.read_csv(smoke_run / "tables" / "table1.csv").set_index("emotion")
    metrics = json.loads((smoke_run / "metrics" / "01_data.json").read_text())
    assert table1.loc["Total", "train"] == metrics["essays"]["train"]
    assert table1.loc["Total", "dev"] == metrics["essays"]["dev"]
    if maybe_real_dir:
        assert list(table1["train"][:-1]) == [647, 349, 275, 194, 164, 149, 82]
        assert list(table1["dev"][:-1]) == [98, 76, 25, 31, 14, 12, 14]
        assert not table1["dev_matches_paper"].all()
    assert (smoke_run / "figures" / "label_distribution.png").stat().st_size > 10_000


def test_benchmark_reads_the_finished_run(smoke_run):
    from wassa_lib import bench

    report = bench.benchmark("smoke", run=False, echo=lambda _: None, output_dir=str(smoke_run))
    assert report == json.loads((smoke_run / "benchmark.json").read_text())
    assert set(report["notebooks"]) == {nb.stem for nb in list_notebooks()}
    assert all(rec["wall_s"] > 0 and rec["peak_rss_mb"] > 0 for rec in report["notebooks"].values())
    trained = set(report["training"])
    assert {"track1_empathy", "track1_distress"} <= trained and any(k.startswith("track2_") for k in trained)
    assert all(entry["samples_per_second"] > 0 for entry in report["training"].values())
    dynamic, padded = report["training_step"]["runs"]
    assert (dynamic["padding"], padded["padding"]) == ("dynamic", "max_length_256")
    assert dynamic["mean_padded_length"] < padded["mean_padded_length"] == 256
    assert report["predict"]["essays"] > 0 and report["predict"]["essays_per_second"] > 0
