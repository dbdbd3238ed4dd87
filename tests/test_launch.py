"""One fine-tuning as a job: launcher and job parsing, the shared global batch, and (slow) notebook 02 and a
Track-2 job under torchrun with two CPU processes (gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from wassa_lib.hf.training import distributed_batch
from wassa_lib.runner.launch import parse_job
from wassa_lib.settings.configs import Launcher, TrainingConfig

REPO = Path(__file__).resolve().parent.parent


def test_launcher_values():
    assert Launcher.parse("inline").inline
    assert Launcher.parse("torchrun:2") == Launcher("torchrun", 2)
    for bad in ("torchrun", "torchrun:0", "torchrun:x", "slurm:2", ""):
        with pytest.raises(ValueError, match="^launcher: expected inline or torchrun:N"):
            Launcher.parse(bad)
    command = Launcher.parse("torchrun:2").command("smoke", Path("layer.yaml"), "track1:empathy")
    assert command[1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    assert command[-2:] == ["--job", "track1:empathy"]


def test_job_specs():
    assert parse_job("track1:distress") == ("track1", "distress")
    assert parse_job("track2:tiny-seq2seq") == ("track2", "tiny-seq2seq")
    assert parse_job("carer:tiny-seq2seq-incremental") == ("carer", "tiny-seq2seq-incremental")
    for bad in ("track1:anger", "track3:x", "track2:", "track1"):
        with pytest.raises(ValueError, match="^job "):
            parse_job(bad)


def test_the_global_batch_is_kept_over_processes():
    cfg = TrainingConfig(model="m", batch_size=16, gradient_accumulation_steps=4)
    assert distributed_batch(cfg, 1) == (16, 4)
    assert distributed_batch(cfg, 2) == (16, 2)  # fewer accumulation steps first
    assert distributed_batch(cfg, 4) == (16, 1)
    assert distributed_batch(TrainingConfig(model="m", batch_size=16), 2) == (8, 1)  # else a smaller batch
    with pytest.raises(ValueError, match="cannot be shared by 3 processes"):
        distributed_batch(TrainingConfig(model="m", batch_size=16), 3)


def test_a_bad_launcher_parameter_stops_the_run_before_it_starts(tmp_path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("launcher: torchrun\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wassa_lib",
            "run",
            "--profile",
            "smoke",
            "--params",
            str(layer),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith("launcher: expected inline or torchrun:N (N processes, e.g. torchrun:2), got 'torchrun'")
    )
    assert not (tmp_path / "out").exists()


def test_train_command_names_a_bad_job(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wassa_lib",
            "train",
            "--profile",
            "smoke",
            "--job",
            "track1:anger",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: job 'track1:anger': the Track-1 encoders are empathy, distress and joint"


def _run_02(out: Path, launcher: str, data_dir: str) -> dict:
    layer = out.with_suffix(".yaml")
    layer.write_text(f"launcher: {launcher!r}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wassa_lib",
            "run",
            "--profile",
            "smoke",
            "--only",
            "01",
            "02",
            "--params",
            str(layer),
            "--output-dir",
            str(out),
            "--data-dir",
            data_dir,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "metrics" / "02_track1_finetune.json").read_text())


@pytest.mark.slow
def test_notebook_02_under_torchrun_with_two_cpu_processes(tmp_path, mock_2022):
    inline = _run_02(tmp_path / "inline", "inline", str(mock_2022))
    launched = _run_02(tmp_path / "torchrun", "torchrun:2", str(mock_2022))
    for score in ("empathy", "distress"):
        one, two = inline["training"][f"track1_{score}"], launched["training"][f"track1_{score}"]
        assert (one["world_size"], two["world_size"]) == (1, 2)
        assert two["global_batch_size"] == one["global_batch_size"]
        assert two["per_process_batch_size"] * 2 == one["per_process_batch_size"]
        assert two["steps"] == one["steps"]  # optimizer steps: the global batch is unchanged
        assert two["essays_per_process_per_epoch"] == -(-one["essays_per_process_per_epoch"] // 2)
        model_dir = tmp_path / "torchrun" / "artifacts" / "track1" / f"{score}_model"
        assert json.loads((model_dir / "track1.json").read_text())["training"]["world_size"] == 2
        assert (tmp_path / "torchrun" / "launch" / f"track1-{score}.log").is_file()
    assert not list((tmp_path / "torchrun").rglob("checkpoint-*"))
    tables = [pd.read_csv(tmp_path / run / "tables" / "track1_encoders.csv") for run in ("inline", "torchrun")]
    assert list(tables[0].columns) == list(tables[1].columns) and tables[0].shape == tables[1].shape


@pytest.mark.slow
def test_a_track2_job_with_its_carer_stage_under_torchrun(tmp_path, mock_2022, mock_carer):
    env = {**os.environ, "CARER_DATA_DIR": str(mock_carer)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "wassa_lib",
            "train",
            "--profile",
            "smoke",
            "--job",
            "track2:tiny-seq2seq-incremental",
            "--data-dir",
            str(mock_2022),
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    folder = tmp_path / "artifacts" / "track2" / "tiny-seq2seq-incremental"
    result = json.loads((folder / "result.json").read_text())
    assert result["training"]["world_size"] == 2 and result["stage1"]["training"]["world_size"] == 2
    assert len(pd.read_csv(folder / "dev_predictions.csv")) == result["settings"]["essays"]["dev"]
    assert not list(tmp_path.rglob("checkpoint-*"))
