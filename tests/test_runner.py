"""The papermill runner: params layering, notebook selection, manifest, failure, set-aside, resume."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import mini_kit, mini_runner

from wassa_lib.runner import run
from wassa_lib.runner.run import RunError, Runner, load_params
from wassa_lib.settings import provenance

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def kit(tmp_path, mock_2022):
    """A miniature kit: three notebooks that log their calls, and two params files."""
    log = tmp_path / "calls.log"
    return mini_kit(
        tmp_path,
        f"data_dir: {mock_2022}\nmessage: base\nunused: 1\n",
        {
            name: f"open({str(log)!r}, 'a').write('{name} ' + message + ' ' + str(resume) + '\\n')\n"
            f"import os\nassert not os.path.exists({str(tmp_path / ('fail_' + name))!r}), 'asked to fail'"
            for name in ("01_a", "02_b", "03_c")
        },
    )


_runner = mini_runner


def _calls(kit: Path) -> list[str]:
    log = kit / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_params_layering_and_unknown_profile(kit):
    params = load_params("tiny", kit / "params")
    assert params["message"] == "tiny" and params["unused"] == 1 and params["profile"] == "tiny"
    with pytest.raises(RunError, match="no such profile; available: tiny"):
        load_params("nope", kit / "params")


def test_extra_layers_override_the_profile_and_reject_unknown_names(kit, tmp_path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("message: layered\n")
    manifest = _runner(kit, layers=[str(layer)]).run()
    assert _calls(kit)[0] == "01_a layered False"
    assert manifest["params_layers"] == [str(layer.resolve())]
    layer.write_text("mesage: typo\n")
    with pytest.raises(RunError, match="layer.yaml: unknown parameter 'mesage'; known: data_dir, message"):
        load_params("tiny", kit / "params", [layer])
    with pytest.raises(RunError, match="missing.yaml: no such params file"):
        load_params("tiny", kit / "params", [tmp_path / "missing.yaml"])


def test_random_init_layer_changes_only_the_paper_models():
    paper = load_params("paper")
    layered = load_params("paper", layers=[REPO / "params" / "layers" / "random-init.yaml"])
    specs = [layered["track1_training"]["model"], *(m["model"] for m in layered["track2_models"])]
    assert all(spec.startswith("random-init:") for spec in specs)
    restored = json.loads(json.dumps(layered).replace("random-init:", ""))
    assert restored == paper


def test_peak_memory_reports_gpu_memory_above_the_start(monkeypatch):
    readings = iter([1000.0, 1500.0, 4000.0, 2500.0])
    monkeypatch.setattr(provenance, "gpu_memory_used_mb", lambda: next(readings, 2500.0))
    with provenance.PeakMemory(interval=0.01) as memory:
        time.sleep(0.2)
    assert memory.peak_gpu_mb == 3000.0 and memory.peak_mb > 0
    monkeypatch.setattr(provenance, "gpu_memory_used_mb", lambda: None)
    with provenance.PeakMemory(interval=0.01) as memory:
        pass
    assert memory.peak_gpu_mb is None


def test_gpu_memory_reads_nvidia_smi(monkeypatch, tmp_path):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nprintf '1024\\n2048\\n'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert provenance.gpu_memory_used_mb() == 3072.0
    fake.write_text("#!/bin/sh\nexit 9\n")
    assert provenance.gpu_memory_used_mb() is None


def test_selection_by_number(kit):
    names = [nb.stem for nb in run.list_notebooks(["02", "03"], kit / "notebooks")]
    assert names == ["02_b", "03_c"]
    with pytest.raises(RunError, match="no notebook matches 09"):
        run.list_notebooks(["09"], kit / "notebooks")


def test_run_executes_in_order_and_records_a_manifest(kit):
    manifest = _runner(kit).run()
    assert _calls(kit) == ["01_a tiny False", "02_b tiny False", "03_c tiny False"]
    on_disk = json.loads((kit / "out" / "manifest.json").read_text())
    assert on_disk["notebooks"]["03_c"]["status"] == "done" and on_disk["notebooks"]["01_a"]["wall_s"] >= 0
    assert set(on_disk["data_files"]) and on_disk["packages"]["papermill"]
    assert "unused" not in json.loads((kit / "out" / "notebooks" / "01_a.ipynb").read_text())["cells"][1]["source"]
    assert manifest["profile"] == "tiny"


def test_failure_stops_the_run_with_the_cell_error(kit):
    (kit / "fail_02_b").touch()
    with pytest.raises(RunError, match=r"02_b failed in cell \d+: AssertionError: asked to fail"):
        _runner(kit).run()
    assert _calls(kit) == ["01_a tiny False", "02_b tiny False"]
    status = json.loads((kit / "out" / "manifest.json").read_text())["notebooks"]
    assert status["01_a"]["status"] == "done" and status["02_b"]["status"] == "failed"


def test_resume_starts_at_the_first_unfinished_notebook(kit):
    (kit / "fail_03_c").touch()
    with pytest.raises(RunError):
        _runner(kit).run()  # killed after notebook 02
    (kit / "fail_03_c").unlink()
    _runner(kit, resume=True).run()
    assert _calls(kit)[-1] == "03_c tiny True"
    assert _calls(kit).count("01_a tiny False") == 1 and len(_calls(kit)) == 4


def test_a_new_run_sets_the_earlier_one_aside(kit):
    _runner(kit).run()
    _runner(kit).run()
    aside = list(kit.glob("out.previous-*"))
    assert len(aside) == 1 and (aside[0] / "manifest.json").is_file()
    assert (kit / "out" / "manifest.json").is_file()


def test_only_reruns_in_place(kit):
    _runner(kit).run()
    _runner(kit, only=["02"]).run()
    assert not list(kit.glob("out.previous-*"))
    assert _calls(kit)[-1] == "02_b tiny False"


def test_cli_reports_a_corrupted_file_in_one_line(mock_2022, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in mock_2022.iterdir():
        (bad / f.name).write_text(f.read_text())
    train = bad / "messages_train_ready_for_WS.tsv"
    lines = train.read_text().splitlines()
    fields = lines[3].split("\t")
    fields[lines[0].split("\t").index("emotion")] = "sorrow"
    lines[3] = "\t".join(fields)
    train.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wassa_lib",
            "run",
            "--profile",
            "smoke",
            "--data-dir",
            str(bad),
            "--output-dir",
            str(tmp_path / "out"),
            "--only",
            "01",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {train}: line 4, column emotion: unknown label 'sorrow'; expected one of "
        "sadness, anger, neutral, fear, surprise, disgust, joy"
    ]
    assert "Traceback" not in proc.stderr


def _parameters_cell(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: expected one tagged parameters cell"
    values = {}
    for node in ast.parse(cells[0].source).body:
        assert isinstance(node, ast.Assign), f"{path.name}: the parameters cell holds only assignments"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_notebook_defaults_equal_the_cpu_profile(notebook):
    from wassa_lib.runner.params import profile_defaults

    expected = load_params("cpu")
    declared = _parameters_cell(notebook)
    for key, value in declared.items():
        assert key in expected, f"{notebook.name}: parameter {key} is in no params file"
        if isinstance(expected[key], (dict, list)):  # structured: left at None, filled from the profile
            assert value is None, f"{notebook.name}: {key} copies the profile; leave it None"
        else:
            assert value == expected[key], f"{notebook.name}: default of {key} differs from base.yaml + cpu.yaml"
    filled = profile_defaults({**declared, "profile": "paper"})
    assert all(filled[k] == load_params("paper")[k] for k in filled) and all(
        k in filled for k, v in declared.items() if v is None and load_params("paper")[k] is not None
    )


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs_and_valid(notebook):
    nb = nbformat.read(notebook, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert all("id" in c for c in nb.cells), f"{notebook.name}: a cell without an id (nbformat warns at every run)"
    nbformat.validate(nb)


def test_progress_names_the_model_and_epoch_while_a_notebook_trains(tmp_path, capsys):
    Runner("smoke", data_dir="mock", output_dir=str(tmp_path / "run"), only=["02"]).run()
    out = capsys.readouterr().out
    assert "[1/1] 02_track1_finetune: running (smoke profile)" in out
    assert re.search(
        r"empathy encoder: epoch 1/\d+ validation loss [\d.]+, pearson -?[\d.]+; \d+ s, at most .* left", out
    ), out
    assert re.search(r"distress encoder: epoch \d+/\d+ validation loss [\d.]+, pearson -?[\d.]+; \d+ s\n", out), out
    assert len(re.findall(r"empathy encoder: ", out)) <= 12, "a few lines per model"
    assert "{'loss'" not in out and "TqdmWarning" not in out
    assert out.rstrip().splitlines()[-1].startswith("results in ")


def test_seeds_run_every_other_seed_first_then_the_first_with_all_seeds(kit, monkeypatch):
    calls = []
    monkeypatch.setattr(
        Runner,
        "run",
        lambda self: calls.append((self.params["seed"], self.out.name, self.params["seeds"], self.only)) or {},
    )
    run.run_seeds(
        "tiny", [42, 1, 2], output_dir=str(kit / "out"), notebooks_dir=kit / "notebooks", params_dir=kit / "params"
    )
    assert calls == [(1, "out-seed1", [1], None), (2, "out-seed2", [2], None), (42, "out", [42, 1, 2], None)]
    calls.clear()
    run.run_seeds(
        "tiny",
        [42, 1],
        output_dir=str(kit / "out"),
        only=["03"],
        notebooks_dir=kit / "notebooks",
        params_dir=kit / "params",
    )
    assert calls == [(42, "out", [42, 1], ["03"])]
    with pytest.raises(RunError, match="each seed once"):
        run.run_seeds("tiny", [1, 1], output_dir=str(kit / "out"))


def test_a_resumed_run_reruns_a_notebook_whose_parameters_changed_and_every_later_one(kit):
    _runner(kit).run()
    _runner(kit, resume=True).run()
    assert len(_calls(kit)) == 3  # nothing changed: every notebook skipped
    (kit / "params" / "tiny.yaml").write_text("message: other\n")
    _runner(kit, resume=True).run()
    assert _calls(kit)[3:] == ["01_a other True", "02_b other True", "03_c other True"]


def test_tune_runs_notebooks_01_02_04_once_per_grid_point_with_its_rates(kit, monkeypatch):
    calls = []
    monkeypatch.setattr(Runner, "run", lambda self: calls.append((self.out.name, self.only, self.params)) or {})
    run.run_tuning("smoke", output_dir=str(kit / "out"), notebooks_dir=kit / "notebooks")
    assert [(name, only) for name, only, _ in calls] == [
        ("out-tune1", ("01", "02", "04")),
        ("out-tune2", ("01", "02", "04")),
    ]
    grid = load_params("smoke")["tuning_learning_rates"]
    for point, (_, _, params) in enumerate(calls):
        assert params["track1_training"]["learning_rate"] == grid["track1"][point]
        assert [m["training"]["learning_rate"] for m in params["track2_models"]] == [
            grid[m["family"]][point] for m in params["track2_models"]
        ]
        assert params["track2_incremental"] == load_params("smoke")["track2_incremental"]  # stage 1 keeps its rate
    calls.clear()
    run.run_tuning("smoke", output_dir=str(kit / "out"), notebooks_dir=kit / "notebooks", only=["01", "02"])
    assert [only for _, only, _ in calls] == [("01", "02"), ("01", "02")]  # Track 1 alone
    with pytest.raises(RunError, match="notebook 01 and any of 02, 04"):
        run.run_tuning("smoke", output_dir=str(kit / "out"), only=["02"])


def test_the_paper_text_layer_differs_from_the_paper_profile_exactly_by_the_listed_settings():
    from wassa_lib.scoring.paper import TEXT_VS_CODE, params_differences, settings_table

    text = load_params("paper", layers=[REPO / "params" / "layers" / "paper-text.yaml"])
    assert params_differences(text, load_params("paper")) == TEXT_VS_CODE
    rows = {row["setting"]: row for row in settings_table(load_params("paper"))}
    assert rows["Track-1 embedding (pooling)"]["kit"] == TEXT_VS_CODE["track1_pooling"][1]
    assert all(row["paper"] and row["authors_code"] for row in rows.values())


def test_the_paper_profile_carries_the_authors_settings_where_the_paper_is_silent():
    params = load_params("paper")
    assert params["track1_training"]["epochs"] == 10 and params["track1_training"]["batch_size"] == 32
    assert params["track1_training"].get("warmup_ratio", 0.0) == 0.0
    t5 = {m["name"]: m["training"] for m in params["track2_models"]}["t5-base-finetuned-emotion"]
    assert (t5["epochs"], t5["batch_size"], t5["max_length"], t5["learning_rate"], t5["weight_decay"]) == (
        10,
        8,
        320,
        3.0e-5,
        0.001,
    )


def test_rerun_runs_finished_notebooks_again_with_resume_on(kit):
    _runner(kit).run()
    _runner(kit, only=["02"], rerun=True).run()
    assert _calls(kit)[-1] == "02_b tiny True" and len(_calls(kit)) == 4


def _finished_record_runs(root: Path, seeds=(42, 1, 2)) -> None:
    """The manifests a finished record leaves: seed i's notebooks took i + 1 minutes, from 10:0i to 11:0i."""
    for i, seed in enumerate(seeds):
        folder = root / ("cpu" if i == 0 else f"cpu-seed{seed}")
        folder.mkdir(parents=True, exist_ok=True)
        notebooks = {"01": {"wall_s": 30.0 * (i + 1)}, "02": {"wall_s": 30.0 * (i + 1)}}
        manifest = {"started": f"2026-01-01T10:0{i}:00+00:00", "finished": f"2026-01-01T11:0{i}:00+00:00"}
        (folder / "manifest.json").write_text(json.dumps({**manifest, "notebooks": notebooks}))


def test_record_runs_the_seeds_the_tuning_first_when_asked_and_stops_at_a_failure(monkeypatch, tmp_path):
    from dataclasses import replace

    from wassa_lib.runner import record

    monkeypatch.setattr(record, "default_run_dir", lambda profile: tmp_path / profile)
    _finished_record_runs(tmp_path)
    calls, lines = [], []
    monkeypatch.setattr(record, "main_run", lambda profile, **kw: calls.append((profile, kw)) or 0)
    assert record.remake(replace(record.COMMITTED, tune=True), resume=True, echo=lines.append) == 0
    assert [kw.get("tune", False) for _, kw in calls] == [True, False]
    assert calls[1][1]["seeds"] == [42, 1, 2] and all(kw["resume"] for _, kw in calls)
    assert all(profile == "cpu" and kw["layers"] == () for profile, kw in calls)
    calls.clear()
    assert record.remake(record.COMMITTED, echo=lines.append) == 0
    assert [kw.get("tune", False) for _, kw in calls] == [False]
    calls.clear()
    monkeypatch.setattr(record, "main_run", lambda profile, **kw: calls.append(kw) or 1)
    assert record.remake(record.COMMITTED, echo=lines.append) == 1
    assert len(calls) == 1 and "record --resume` goes on" in lines[-1]


def test_the_kernels_own_stderr_goes_to_kernel_log_not_the_terminal(kit, capfd):
    """Through jupyter_client's public start_kernel: an upgrade that stops passing its keywords to the kernel's
    process would let the kernel's stderr reach the terminal, and this test fails."""
    (kit / "notebooks" / "01_a.ipynb").unlink()
    (kit / "notebooks" / "03_c.ipynb").unlink()
    from conftest import write_notebook

    write_notebook(kit / "notebooks" / "02_b.ipynb", "import os\nos.write(2, b'straight-to-fd-2\\n')")
    _runner(kit).run()
    log = (kit / "out" / "notebooks" / "kernel.log").read_text()
    assert "straight-to-fd-2" in log and "straight-to-fd-2" not in capfd.readouterr().err


def test_a_record_goes_on_only_at_the_commit_that_started_it(monkeypatch, tmp_path):
    from wassa_lib.runner import record

    monkeypatch.setattr(record, "default_run_dir", lambda profile: tmp_path / profile)
    monkeypatch.setattr(record, "main_run", lambda profile, **kw: 0)
    monkeypatch.setattr(record, "git_commit", lambda: "a" * 40)
    _finished_record_runs(tmp_path)
    lines = []
    assert record.remake(resume=False, echo=lines.append) == 0
    assert json.loads((tmp_path / "cpu.record.json").read_text())["commit"] == "a" * 40
    summary = record.RecordSummary.load(tmp_path / "cpu")  # what the README's line on the record reads
    assert (summary.commit, summary.seeds, summary.minutes_by_seed) == ("a" * 40, [42, 1, 2], [1.0, 2.0, 3.0])
    assert summary.minutes == 6.0 and summary.started.startswith("2026-01-01T10:00")
    assert summary.finished.startswith("2026-01-01T11:02") and "6 min of notebooks" in lines[-1]
    monkeypatch.setattr(record, "git_commit", lambda: "b" * 40)
    assert record.remake(resume=True, echo=lines.append) == 1
    assert "started at aaaaaaaaaaaa, the code is now bbbbbbbbbbbb" in lines[-1]


def test_a_notebooks_metrics_name_no_folder_of_the_machine(kit):
    """A path inside the repository but outside the run folder (the shared CARER stage) is written relative."""
    from conftest import write_notebook

    from wassa_lib.settings.configs import REPO_ROOT

    stage = f"{REPO_ROOT}/outputs/cpu-carer-stage/model"
    metrics = kit / "out" / "metrics"
    code = f"import json, pathlib\npathlib.Path({str(metrics)!r}).mkdir(parents=True, exist_ok=True)\n"
    code += f"pathlib.Path({str(metrics / 'x.json')!r}).write_text(json.dumps({{'stage': {stage!r}}}))"
    write_notebook(kit / "notebooks" / "02_b.ipynb", code)
    _runner(kit).run()
    assert json.loads((metrics / "x.json").read_text())["stage"] == "outputs/cpu-carer-stage/model"
