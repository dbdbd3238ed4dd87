"""Precision choice, batch arithmetic, config validation, tokenised datasets, resume checkpoints."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wassa_lib.hf.models import train_wordpiece
from wassa_lib.hf.training import (
    choose_precision,
    effective_batch_size,
    resume_checkpoint,
    steps_per_epoch,
    tokenize_frame,
    training_arguments,
)
from wassa_lib.settings.configs import RunConfig, TrainingConfig


def test_precision_on_a_cpu_follows_its_bf16_hardware():
    assert choose_precision("auto", cuda=False, cpu_bf16=False) == "fp32"
    assert choose_precision("auto", cuda=False, cpu_bf16=True) == "bf16"
    assert choose_precision("fp16", cuda=False, cpu_bf16=True) == "fp32"
    assert choose_precision("fp32", cuda=False, cpu_bf16=True) == "fp32"
    assert choose_precision("bf16", cuda=False, cpu_bf16=False) == "bf16"  # asked for: emulated, but it runs


def test_cpu_bf16_flag_is_read_from_cpuinfo(monkeypatch, tmp_path):
    from wassa_lib.hf import training as training

    def flags(text: str) -> bool:
        info = tmp_path / "cpuinfo"
        info.write_text(text)
        monkeypatch.setattr(training, "Path", lambda p: info if p == "/proc/cpuinfo" else Path(p))
        training.cpu_has_native_bf16.cache_clear()
        try:
            return training.cpu_has_native_bf16()
        finally:
            training.cpu_has_native_bf16.cache_clear()

    assert flags("flags\t: fpu avx2 avx512f avx512_bf16 amx_tile\n")
    assert flags("flags\t: fpu avx2 amx_bf16\n")
    assert not flags("flags\t: fpu avx2 avx512f avx512_vnni\n")


def test_cpu_bf16_training_attention_is_eager_for_steps_and_default_for_evaluation():
    from wassa_lib.hf.callbacks import TrainingAttention
    from wassa_lib.hf.models import load_model

    model, _ = load_model("tiny-encoder", "regression", corpus=["a few words for a tokenizer"])
    default = model.config._attn_implementation
    callback = TrainingAttention(model)
    callback.on_epoch_begin(None, None, None, model=model)
    assert model.config._attn_implementation == "eager" != default
    callback.on_epoch_end(None, None, None, model=model)
    assert model.config._attn_implementation == default


def _gpu(monkeypatch, capability: tuple[int, int]) -> None:
    """A GPU of this compute capability that (like a real T4) claims bf16 support."""
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.get_device_capability", lambda device=None: capability)
    monkeypatch.setattr("torch.cuda.is_bf16_supported", lambda *a, **k: True)


def test_precision_on_a_t4_is_fp16_though_torch_reports_bf16(monkeypatch):
    _gpu(monkeypatch, (7, 5))
    assert choose_precision("auto") == "fp16"
    assert choose_precision("fp32") == "fp32"
    with pytest.raises(ValueError, match="only emulates it"):
        choose_precision("bf16")


def test_precision_on_ampere_and_later_is_bf16(monkeypatch):
    _gpu(monkeypatch, (8, 0))
    assert choose_precision("auto") == "bf16"
    _gpu(monkeypatch, (9, 0))
    assert choose_precision("auto") == "bf16" and choose_precision("fp16") == "fp16"


def test_batch_arithmetic():
    cfg = TrainingConfig(model="tiny-encoder", batch_size=8, gradient_accumulation_steps=4)
    assert effective_batch_size(cfg) == 32
    assert effective_batch_size(cfg, n_devices=2) == 64
    assert steps_per_epoch(1488, cfg) == 47  # 1488 / 32 = 46.5, the last partial step counts
    assert steps_per_epoch(10, cfg) == 1
    with pytest.raises(ValueError):
        effective_batch_size(cfg, n_devices=0)


@pytest.mark.parametrize(
    "field,value",
    [("batch_size", 0), ("learning_rate", -1.0), ("precision", "fp8"), ("model", ""), ("warmup_ratio", 1.5)],
)
def test_training_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=f"^{field}: "):
        TrainingConfig(**{"model": "tiny-encoder", field: value})


def test_training_config_names_unknown_keys():
    with pytest.raises(ValueError, match="^lr: unknown training parameter; known: attention_dropout, batch_size"):
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
    assert cfg.wassa_data_dir(write_mock=False) == tmp_path / "mock_data" / "wassa2021"
    assert not (tmp_path / "mock_data").exists()
    assert len(cfg.load_splits().dev) > 0
    assert (cfg.carer_data_dir() / "train.txt").is_file()


def test_a_named_folder_that_does_not_exist_is_an_error_even_where_mock_is_allowed(tmp_path, monkeypatch):
    from wassa_lib.data.wassa import DataError

    monkeypatch.setenv("WASSA_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(DataError, match=r"typo: WASSA data folder not found \(named by \$WASSA_DATA_DIR\)"):
        RunConfig(output_dir=str(tmp_path), allow_mock=True).wassa_data_dir()
    monkeypatch.delenv("WASSA_DATA_DIR")
    with pytest.raises(DataError, match="named by the data_dir parameter"):
        RunConfig(data_dir=str(tmp_path / "typo"), allow_mock=True).wassa_data_dir()
    monkeypatch.setenv("CARER_DATA_DIR", str(tmp_path / "typo2"))
    with pytest.raises(DataError, match=r"typo2: CARER data folder not found \(named by \$CARER_DATA_DIR\)"):
        RunConfig(output_dir=str(tmp_path), allow_mock=True).carer_data_dir()


def test_synthetic_data_only_where_nothing_was_named(tmp_path, monkeypatch):
    from wassa_lib.settings import configs as config

    monkeypatch.delenv("WASSA_DATA_DIR", raising=False)
    monkeypatch.setattr(config, "DEFAULT_WASSA_DIR", tmp_path / "absent")
    assert RunConfig(output_dir=str(tmp_path), allow_mock=True).uses_mock_wassa()
    with pytest.raises(config.DataError, match="absent: WASSA data folder not found; set \\$WASSA_DATA_DIR"):
        RunConfig(output_dir=str(tmp_path)).wassa_data_dir()


def test_wrong_types_name_the_field():
    with pytest.raises(ValueError, match="max_train_samples: expected an integer or null, got 'ten'"):
        RunConfig(max_train_samples="ten")
    with pytest.raises(ValueError, match="valid_fraction: expected a number, got '0.2x'"):
        RunConfig(valid_fraction="0.2x")
    with pytest.raises(ValueError, match="track1_training.epochs: expected a number, got 'three'"):
        TrainingConfig.from_params({"model": "m", "epochs": "three"}, where="track1_training")
    with pytest.raises(ValueError, match="write a decimal point"):
        TrainingConfig.from_params({"model": "m", "learning_rate": "2e-5"})
    with pytest.raises(ValueError, match="batch_size: expected an integer, got True"):
        TrainingConfig(model="m", batch_size=True)


def test_tokenize_frame_is_unpadded_with_lengths():
    tok = train_wordpiece(["a short essay", "a much longer essay with many more words in it"])
    df = pd.DataFrame(
        {"essay": ["a short essay", "a much longer essay with many more words in it"], "empathy": [1.0, 2.0]}
    )
    ds = tokenize_frame(df, tok, max_length=6, label_columns=["empathy"])
    assert ds["length"] == [5, 6]  # [CLS] a short essay [SEP]; truncated at 6
    assert ds["empathy"] == [1.0, 2.0]
    with pytest.raises(KeyError, match="distress"):
        tokenize_frame(df, tok, 8, label_columns=["distress"])


def test_training_arguments_group_by_length_and_keep_best(tmp_path):
    args = training_arguments(TrainingConfig(model="m", precision="auto"), tmp_path, metric_for_best="pearson")
    assert args.load_best_model_at_end and args.metric_for_best_model == "pearson"
    assert not args.fp16 and args.bf16 == (choose_precision("auto") == "bf16")  # a CPU: bf16 where it has it
    assert args.optim == "adamw_torch_fused"
    grouped = getattr(args, "train_sampling_strategy", None) == "group_by_length" or getattr(
        args, "group_by_length", False
    )
    assert grouped
    assert not args.save_only_model  # resumable by default: the optimiser state is checkpointed
    cheap = training_arguments(TrainingConfig(model="m", resumable=False), tmp_path, metric_for_best="pearson")
    assert cheap.save_only_model and cheap.load_best_model_at_end
    assert "resumable" not in TrainingConfig(model="m", resumable=False).settings()


def test_resume_checkpoint(tmp_path):
    assert resume_checkpoint(tmp_path, resume=True) is None
    for step in (10, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
        for name in ("trainer_state.json", "optimizer.pt"):
            (tmp_path / f"checkpoint-{step}" / name).write_text("{}")
    assert resume_checkpoint(tmp_path, resume=False) is None
    assert resume_checkpoint(tmp_path, resume=True).endswith("checkpoint-20")


def test_resume_restarts_from_a_checkpoint_of_the_model_alone(tmp_path, caplog):
    """``resumable: false`` checkpoints hold no optimiser state: a resume removes them and starts afresh."""
    model_only = tmp_path / "checkpoint-10"
    model_only.mkdir()
    (model_only / "trainer_state.json").write_text("{}")
    assert resume_checkpoint(tmp_path, resume=True) is None
    assert not model_only.exists() and "without the state to resume from" in caplog.text


def test_resume_skips_a_checkpoint_whose_save_was_interrupted(tmp_path, caplog):
    complete, cut_off = tmp_path / "checkpoint-5", tmp_path / "checkpoint-10"
    for folder in (complete, cut_off):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    (complete / "trainer_state.json").write_text("{}")
    (complete / "optimizer.pt").write_text("{}")
    assert resume_checkpoint(tmp_path, resume=False) is None and cut_off.exists()
    assert resume_checkpoint(tmp_path, resume=True) == str(complete)
    assert not cut_off.exists() and "without the state to resume from" in caplog.text


@pytest.mark.parametrize(
    "patience, scripted, expected",
    [
        (2, [0.1, 0.3, 0.2, 0.25, 0.5, 0.6], {"epochs_run": 4, "best_epoch": 2, "stopped_by": "patience"}),
        (2, [0.1, 0.2, 0.3, 0.4], {"epochs_run": 4, "best_epoch": 4, "stopped_by": "cap"}),
        (None, [0.5, 0.1, 0.1, 0.1], {"epochs_run": 4, "best_epoch": 1, "stopped_by": "cap"}),
    ],
)
@pytest.mark.parametrize("resumable", [True, False])
def test_early_stopping_ends_after_patience_epochs_without_improvement_and_keeps_the_best(
    tmp_path, patience, scripted, expected, resumable
):
    from transformers import DataCollatorWithPadding, Trainer

    from wassa_lib.hf.models import load_model
    from wassa_lib.hf.training import train
    from wassa_lib.settings.provenance import git_commit

    essays = [f"essay number {i} about the news" for i in range(8)]
    cfg = TrainingConfig(
        model="tiny-encoder",
        epochs=len(scripted),
        batch_size=4,
        learning_rate=1e-3,
        max_length=16,
        precision="fp32",
        early_stopping_patience=patience,
        resumable=resumable,
    )
    model, tok = load_model(cfg.model, "regression", corpus=essays)
    data = tokenize_frame(pd.DataFrame({"essay": essays, "labels": [float(i) for i in range(8)]}), tok, 16, ["labels"])
    values = iter(scripted)
    trainer = Trainer(
        model=model,
        args=training_arguments(cfg, tmp_path, metric_for_best="score"),
        train_dataset=data,
        eval_dataset=data,
        data_collator=DataCollatorWithPadding(tok),
        compute_metrics=lambda _: {"score": next(values)},
    )
    record = train(trainer, cfg, tmp_path, resume=False)
    best = trainer.state.best_model_checkpoint
    assert best.endswith(f"checkpoint-{2 * expected['best_epoch']}")  # 2 steps an epoch: the best epoch's weights
    assert {k: getattr(record, k) for k in expected} == expected
    assert record.validation_by_epoch == scripted[: expected["epochs_run"]]
    assert record.trained_at == git_commit() and len(record.trained_at) >= 7
