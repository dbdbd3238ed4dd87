"""Precision choice, batch arithmetic, config validation, tokenised datasets, resume checkpoints."""
from __future__ import annotations

import pandas as pd
import pytest

from wassa_lib.config import RunConfig, TrainingConfig
from wassa_lib.models import train_wordpiece
from wassa_lib.training import (choose_precision, effective_batch_size, resume_checkpoint, steps_per_epoch,
                                tokenize_frame, training_arguments)


def test_precision_by_device():
    assert choose_precision("auto", cuda=False) == "fp32"
    assert choose_precision("fp16", cuda=False) == "fp32"
    assert choose_precision("auto", cuda=True, bf16_ok=False) == "fp16"  # T4
    assert choose_precision("auto", cuda=True, bf16_ok=True) == "bf16"  # A100, H100
    assert choose_precision("fp32", cuda=True, bf16_ok=True) == "fp32"
    with pytest.raises(ValueError, match="bf16"):
        choose_precision("bf16", cuda=True, bf16_ok=False)


def test_batch_arithmetic():
    cfg = TrainingConfig(model="tiny-encoder", batch_size=8, gradient_accumulation_steps=4)
    assert effective_batch_size(cfg) == 32
    assert effective_batch_size(cfg, n_devices=2) == 64
    assert steps_per_epoch(1488, cfg) == 47  # 1488 / 32 = 46.5, the last partial step counts
    assert steps_per_epoch(10, cfg) == 1
    with pytest.raises(ValueError):
        effective_batch_size(cfg, n_devices=0)


@pytest.mark.parametrize("field,value", [("batch_size", 0), ("learning_rate", -1.0), ("precision", "fp8"),
                                         ("model", ""), ("warmup_ratio", 1.5)])
def test_training_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field if field != "model" else "model spec"):
        TrainingConfig(**{"model": "tiny-encoder", field: value})


def test_training_config_names_unknown_keys():
    with pytest.raises(ValueError, match="unknown training parameter.*lr"):
        TrainingConfig.from_params({"model": "tiny-encoder", "lr": 1e-3})
    assert TrainingConfig.from_params({"model": "m", "epochs": 2}, seed=5).seed == 5


def test_run_config_validation_and_paths(tmp_path):
    cfg = RunConfig(profile="smoke", output_dir=str(tmp_path / "run"))
    assert cfg.tables_dir == tmp_path / "run" / "tables" and cfg.tables_dir.is_dir()
    with pytest.raises(ValueError, match="valid_fraction"):
        RunConfig(valid_fraction=1.0)
    with pytest.raises(ValueError, match="profile"):
        RunConfig(profile="../x")


def test_mock_data_dir_is_written_into_the_run_folder(tmp_path):
    cfg = RunConfig(profile="smoke", data_dir="mock", output_dir=str(tmp_path))
    assert cfg.wassa_dir == tmp_path / "mock_data" / "wassa2021"
    assert len(cfg.load_splits().dev) > 0
    assert (cfg.carer_path / "train.txt").is_file()


def test_missing_data_falls_back_to_mock_only_when_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("WASSA_DATA_DIR", str(tmp_path / "absent"))
    assert RunConfig(output_dir=str(tmp_path)).wassa_dir == tmp_path / "absent"
    assert RunConfig(output_dir=str(tmp_path), allow_mock=True).wassa_dir == tmp_path / "mock_data" / "wassa2021"


def test_tokenize_frame_is_unpadded_with_lengths():
    tok = train_wordpiece(["a short essay", "a much longer essay with many more words in it"])
    df = pd.DataFrame({"essay": ["a short essay", "a much longer essay with many more words in it"],
                       "empathy": [1.0, 2.0]})
    ds = tokenize_frame(df, tok, max_length=6, label_columns=["empathy"])
    assert ds["length"] == [5, 6]  # [CLS] a short essay [SEP]; truncated at 6
    assert ds["empathy"] == [1.0, 2.0]
    with pytest.raises(KeyError, match="distress"):
        tokenize_frame(df, tok, 8, label_columns=["distress"])


def test_training_arguments_group_by_length_and_keep_best(tmp_path):
    args = training_arguments(TrainingConfig(model="m", precision="auto"), tmp_path, metric_for_best="pearson")
    assert args.load_best_model_at_end and args.metric_for_best_model == "pearson"
    assert not args.fp16 and not args.bf16  # CPU
    grouped = getattr(args, "train_sampling_strategy", None) == "group_by_length" or getattr(args, "group_by_length", False)
    assert grouped


def test_resume_checkpoint(tmp_path):
    assert resume_checkpoint(tmp_path, resume=True) is None
    for step in (10, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert resume_checkpoint(tmp_path, resume=False) is None
    assert resume_checkpoint(tmp_path, resume=True).endswith("checkpoint-20")


def test_resume_skips_a_checkpoint_whose_save_was_interrupted(tmp_path, capsys):
    complete, cut_off = tmp_path / "checkpoint-5", tmp_path / "checkpoint-10"
    for folder in (complete, cut_off):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    (complete / "trainer_state.json").write_text("{}")
    assert resume_checkpoint(tmp_path, resume=False) is None and cut_off.exists()
    assert resume_checkpoint(tmp_path, resume=True) == str(complete)
    assert not cut_off.exists() and "incomplete checkpoint removed" in capsys.readouterr().out
