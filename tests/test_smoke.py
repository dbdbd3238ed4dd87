"""Smoke tier: every notebook through papermill on the smoke profile, then the tables and metrics they recorded."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.runner.bench_record import Benchmark
from wassa_lib.runner.run import list_notebooks

TABLES = {"01": ["table1"], "03": ["table2"], "04": ["table4", "table4_stage1"], "05": ["table5"]}
# Columns that are empty by design: a classifier has no free generations to count.
MAY_BE_EMPTY = {"invalid_generations"}
EXPECTED = Path(__file__).with_name("expected_smoke_metrics.json")
TOLERANCE = 0.05  # absolute, on Pearson and F1; the tiny models are seeded, this covers BLAS differences


def test_every_notebook_ran_at_a_known_commit(smoke_run):
    manifest = json.loads((smoke_run / "manifest.json").read_text())
    assert {nb.stem for nb in list_notebooks()} == set(manifest["notebooks"])
    assert all(rec["status"] == "done" for rec in manifest["notebooks"].values())
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", manifest["git_commit"]), manifest["git_commit"]
    assert manifest["data_files"]


def _ours(table: pd.DataFrame) -> pd.DataFrame:
    """This kit's numbers: without the rows and columns of the paper and of the shared task's best system."""
    if "source" in table.columns:
        table = table[~table["source"].str.startswith("paper")]
    return table.select_dtypes("number").drop(
        columns=[c for c in table.columns if c.startswith(("paper", "best_in_task"))], errors="ignore"
    )


def test_every_table_is_written_and_has_no_missing_or_infinite_number(smoke_run):
    present = {nb.name[:2] for nb in list_notebooks()}
    for number, names in TABLES.items():
        if number not in present:
            continue
        for name in names:
            table = pd.read_csv(smoke_run / "tables" / f"{name}.csv")
            assert len(table) > 0, name
            values = _ours(table).drop(columns=list(MAY_BE_EMPTY), errors="ignore").to_numpy(dtype=float)
            assert values.size and np.isfinite(values).all(), f"{name}: a missing or infinite number"
            assert (smoke_run / "tables" / f"{name}.md").is_file()


def test_the_finite_check_catches_a_table_of_nan():
    table = pd.DataFrame({"system": ["a"], "average": [np.nan], "paper_average": [0.4]})
    assert not np.isfinite(_ours(table).to_numpy(dtype=float)).all()


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


def recorded_metrics(run: Path) -> dict[str, float]:
    """The headline numbers notebooks 02-05 recorded, flat."""
    m = {p.stem: json.loads(p.read_text()) for p in (run / "metrics").glob("*.json")}
    flat = {f"02.{e['score']}.validation_pearson": e["validation_pearson"] for e in m["02_track1_finetune"]["encoders"]}
    flat.update(
        {
            "03.best_dev_average": m["03_regressor_comparison"]["best_dev"]["average"],
            "03.floor_dev_average": m["03_regressor_comparison"]["floor_dev"]["average"],
        }
    )
    flat.update({f"04.{name}.macro_f1": rec["macro_f1"] for name, rec in m["04_track2"]["models"].items()})
    flat["05.macro_f1"] = m["05_test"]["macro_f1"]
    return flat


def test_recorded_metrics_match_the_expected_values(smoke_run, maybe_real_dir):
    m = {p.stem: json.loads(p.read_text()) for p in (smoke_run / "metrics").glob("*.json")}
    assert isinstance(m["03_regressor_comparison"]["best_beats_floor"], bool)
    assert m["03_regressor_comparison"]["selected_by"] == "validation average Pearson"
    assert m["04_track2"]["selected"] in m["04_track2"]["models"]
    expected = json.loads(EXPECTED.read_text())["real" if maybe_real_dir else "mock"]
    got = recorded_metrics(smoke_run)
    assert set(got) == set(expected)
    off = {k: (got[k], expected[k]) for k in expected if not abs(got[k] - expected[k]) <= TOLERANCE}
    assert not off, f"recorded (got, expected) beyond {TOLERANCE}: {off}"


def test_benchmark_reads_the_finished_run(smoke_run, smoke_data):
    from wassa_lib.runner import bench

    kwargs = {"output_dir": str(smoke_run), "data_dir": str(smoke_data)}  # the manifest names data by folder name
    report = bench.benchmark("smoke", run=False, echo=lambda _: None, **kwargs)
    assert report == Benchmark.load(smoke_run / "benchmark.json")
    assert set(report.notebooks) == {nb.stem for nb in list_notebooks()}
    assert all(rec["wall_s"] > 0 and rec["peak_rss_mb"] > 0 for rec in report.notebooks.values())
    trained = set(report.training)
    assert {"track1_empathy", "track1_distress"} <= trained and any(k.startswith("track2_") for k in trained)
    for entry in report.training.values():
        assert entry.samples_per_second > 0 and entry.validation_passes >= 1
        assert 0 < entry.steps_seconds <= entry.train_seconds + 0.5
        assert entry.training_flops_per_second > 0 and entry.model_flops_utilisation > 0
    dynamic, padded, fp32 = report.training_step["runs"]
    assert (dynamic["padding"], padded["padding"], fp32["padding"]) == ("dynamic", "max_length_256", "dynamic")
    assert fp32["precision"] == "fp32" and dynamic["precision"] == report.peak_flops["precision"]
    assert dynamic["mean_padded_length"] < padded["mean_padded_length"] == 256
    assert report.predict["essays"] > 0 and report.predict["essays_per_second"] > 0


def test_the_carer_stage_model_is_scored_on_carer_test(smoke_run):
    table = pd.read_csv(smoke_run / "tables" / "table4_stage1.csv")
    assert list(table["stage1"]) == ["kit's CARER stage"]
    assert table["carer_test_lines"].iloc[0] > 0 and table[["accuracy", "macro_f1"]].stack().between(0, 1).all()
    recorded = json.loads((smoke_run / "metrics" / "04_track2.json").read_text())["stage1_carer_test"]
    assert recorded == table.to_dict("records")


def test_the_manifest_lists_what_the_paper_leaves_open_beside_the_kits_choice(smoke_run):
    manifest = json.loads((smoke_run / "manifest.json").read_text())
    rows = {row["setting"]: row for row in manifest["paper_settings"]}
    params = manifest["params"]
    assert rows["Track-1 epochs"]["kit"] == params["track1_training"]["epochs"]
    assert rows["Track-1 embedding (pooling)"] == {
        "setting": "Track-1 embedding (pooling)",
        "paper": "the pooled output",
        "authors_code": "the [CLS] token's last hidden state",
        "kit": params["track1_pooling"],
        "params_key": "track1_pooling",
    }
    assert rows["Track-2 epochs, batch, max length, warmup"]["kit"] == params["track2_models"]
    assert rows["which Track-2 model goes to test"]["kit"] == "chosen on the validation split"
    assert all(row["kit"] is not None for row in rows.values())


def test_each_fine_tuning_records_its_validation_curve_and_kept_epoch(smoke_run):
    m = {p.stem: json.loads(p.read_text()) for p in (smoke_run / "metrics").glob("*.json")}
    records = {**m["02_track1_finetune"]["training"], **m["04_track2"]["training"]}
    families = m["04_track2"]["families"]
    never_carried = {"track1_joint"} | {f"track2_{n}" for n, f in families.items() if f.get("person_features")}
    assert never_carried & set(records) == never_carried  # the smoke profile has both
    for name, record in records.items():
        curve = record["validation_by_epoch"]
        assert len(curve) == record["epochs_run"] <= record["epochs"] and np.isfinite(curve).all(), name
        assert record["best_epoch"] == int(np.argmax(curve)) + 1, name
        assert record["stopped_by"] == ("patience" if record["epochs_run"] < record["epochs"] else "cap"), name
        if "carer_stage" in name or name in never_carried:  # no dev of the kit's; nothing reads their dev curve
            assert record.get("dev_by_epoch") is None, name
        else:
            assert len(record["dev_by_epoch"]) == record["epochs_run"], name
    probe = m["02_track1_finetune"]["carried_by_pooling"]
    assert set(probe) == {"pooler", "cls", "mean"} and all(-1 <= v <= 1 for v in probe.values())


def test_every_figure_is_shown_in_the_notebook_that_makes_it_and_no_warning_reaches_stderr(smoke_run):
    import nbformat

    for path in sorted((smoke_run / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        shown = 0
        for cell in (c for c in nb.cells if c.cell_type == "code"):
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            saved = sum(o.get("text", "").count("figure saved: ") for o in cell.outputs if o.output_type == "stream")
            assert len(images) == saved, (
                f"{path.name}: {saved} figures saved, {len(images)} shown: {cell.source[:80]!r}"
            )
            shown += len(images)
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not any("Warning" in text for text in stderr), f"{path.name}: {stderr}"
        assert shown >= (4 if path.name.startswith("01") else 1), path.name


def test_the_authors_erroneous_test_predictions_sit_beside_the_correct_submission(smoke_run):
    from wassa_lib.scoring.submission import EMP_FILE

    def read_emp(path):
        return pd.read_csv(path, sep="\t", header=None, names=["empathy", "distress"])

    from wassa_lib.settings.layout import erroneous_predictions_path

    right, wrong = read_emp(smoke_run / "submission" / EMP_FILE), read_emp(erroneous_predictions_path(smoke_run))
    assert len(right) == len(wrong) > 0 and np.isfinite(wrong.to_numpy()).all()
    assert not np.allclose(wrong["empathy"], right["empathy"])  # empathy from the distress embedding
    assert (smoke_run / "artifacts" / "track1" / "as_run_regressors.joblib").is_file()


def test_every_model_remembers_the_settings_it_was_trained_with(smoke_run, tmp_path):
    from wassa_lib.runner.consistency import settings_drift

    assert settings_drift(smoke_run) == []
    doctored = tmp_path / "run"
    shutil.copytree(smoke_run, doctored, ignore=shutil.ignore_patterns("artifacts"))
    path = doctored / "metrics" / "02_track1_finetune.json"
    record = json.loads(path.read_text())
    rate = record["training"]["track1_empathy"]["settings"]["learning_rate"]
    record["training"]["track1_empathy"]["settings"]["learning_rate"] = rate * 10
    path.write_text(json.dumps(record))
    assert settings_drift(doctored) == [
        f"track1_empathy: learning_rate {rate * 10!r} in the record, {rate!r} from today's params"
    ]


def test_the_record_names_no_folder_of_the_machine(smoke_run, smoke_data):
    """The manifest and the executed notebooks name the run folder relative to the repository (or by its name)
    and the data by folder name and sha256: nothing of where the run happened to live."""
    from wassa_lib.settings.configs import REPO_ROOT

    manifest = json.loads((smoke_run / "manifest.json").read_text())
    texts = {"manifest.json": json.dumps(manifest)}
    texts.update({p.name: p.read_text() for p in (smoke_run / "notebooks").glob("*.ipynb")})
    assert len(texts) == 6
    for name, text in texts.items():
        for machine_path in (str(smoke_run), str(smoke_data.resolve()), str(REPO_ROOT)):
            assert machine_path not in text, (name, machine_path)
    folders = {key.split("/")[0] for key in manifest["data_files"]}
    assert folders == {smoke_data.name, "emotion_carer"}  # WASSA and CARER (the smoke profile has a CARER stage)
