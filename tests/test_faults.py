"""Faults a user meets on a real machine: a model file cut short, a one-key params layer, a full disk."""

from __future__ import annotations

import errno
import json
import logging
import shutil

import pytest
from conftest import mini_kit, mini_runner

from wassa_lib.hf.saved import DamagedModelError, check_record, file_sizes, write_record
from wassa_lib.hf.training import reusable_record
from wassa_lib.runner import params as params_module
from wassa_lib.runner import run
from wassa_lib.runner.params import check_params, load_params, resolve
from wassa_lib.runner.predict import main_predict
from wassa_lib.track1.finetune import load_fine_tuned

EMPATHY_WEIGHTS = "artifacts/track1/empathy_model/model.safetensors"


def _cut(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _saved_model(folder):
    """A model folder as the kit writes one: weights, then the record listing their sizes, written last."""
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "model.safetensors").write_bytes(b"w" * 1000)
    write_record(folder / "result.json", {"settings": {"lr": 1}, "files": file_sizes(folder, folder / "model", "")})
    return folder / "model" / "model.safetensors"


def test_a_cut_model_file_is_named_and_retrained_on_resume(tmp_path, caplog):
    weights = _saved_model(tmp_path)
    assert reusable_record(tmp_path / "result.json", {"lr": 1}) is not None
    assert not list(tmp_path.glob(".*partial"))  # the record went through a temporary name
    _cut(weights)
    with caplog.at_level(logging.WARNING):
        assert reusable_record(tmp_path / "result.json", {"lr": 1}) is None
    assert "500 bytes where 1,000 were saved" in caplog.text and "training it again" in caplog.text
    with pytest.raises(DamagedModelError, match=r"model\.safetensors: 500 bytes where 1,000 .* --resume` trains it"):
        check_record(tmp_path / "result.json")
    weights.unlink()
    with pytest.raises(DamagedModelError, match="missing"):
        check_record(tmp_path / "result.json")


def test_predict_with_a_cut_encoder_file_is_one_line(smoke_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(smoke_run, run_dir)
    _cut(run_dir / EMPATHY_WEIGHTS)
    source = tmp_path / "in.csv"
    source.write_text("essay\nA sad story about a flood.\n")
    assert main_predict(str(run_dir), str(source), None, False) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "empathy_model/model.safetensors" in err[0]
    assert "cut short" in err[0] and not (tmp_path / "in.predictions.csv").exists()
    with pytest.raises(DamagedModelError):
        load_fine_tuned(run_dir / "artifacts/track1/empathy_model")


def test_a_one_key_layer_changes_that_setting_and_keeps_the_others(tmp_path):
    layer = tmp_path / "epochs.yaml"
    layer.write_text("track1_training: {epochs: 5}\nseeds: [7]\n")
    profile = load_params("smoke")
    layered, origins = resolve("smoke", [layer])
    assert layered["track1_training"] == {**profile["track1_training"], "epochs": 5}
    assert layered["seeds"] == [7]  # a list is replaced whole
    assert layered["track2_models"] == profile["track2_models"] and origins["track1_training"] == layer
    check_params(layered, origins)
    assert params_module.deep_merge({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}}


@pytest.fixture()
def kit(tmp_path, mock_2022):
    return mini_kit(tmp_path, f"data_dir: {mock_2022}\nmessage: base\n", {"01_a": "x = 1", "02_b": "y = 2"})


def test_a_full_disk_is_one_line_marks_the_notebook_failed_and_resume_goes_on(kit, monkeypatch, capsys):
    import papermill

    real = papermill.execute_notebook

    def full(input_path, output_path, **kwargs):
        if "02_b" in str(input_path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(input_path, output_path, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", full)
    own = ("output_dir", "log_output")
    monkeypatch.setattr(run, "Runner", lambda profile, **kw: mini_runner(kit, **{k: kw[k] for k in kw if k not in own}))
    assert run.main_run("tiny", output_dir=str(kit / "out"), quiet=True) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no space left on the device of" in err[0] and str(kit / "out") in err[0]
    assert " MB free" in err[0] and "--resume" in err[0]
    manifest = json.loads((kit / "out" / "manifest.json").read_text())
    assert manifest["notebooks"]["01_a"]["status"] == "done" and manifest["notebooks"]["02_b"]["status"] == "failed"
    assert not list((kit / "out" / "notebooks").glob(".*running*"))
    monkeypatch.setattr(papermill, "execute_notebook", real)
    assert run.main_run("tiny", output_dir=str(kit / "out"), quiet=True, resume=True) == 0
    manifest = json.loads((kit / "out" / "manifest.json").read_text())
    assert manifest["notebooks"]["02_b"]["status"] == "done"
