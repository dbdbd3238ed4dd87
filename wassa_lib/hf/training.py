"""Shared Trainer plumbing: precision choice, batch arithmetic, tokenised datasets, arguments, resume."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, Seq2SeqTrainingArguments, Trainer, TrainingArguments
from transformers.trainer_callback import EarlyStoppingCallback, PrinterCallback
from transformers.trainer_utils import get_last_checkpoint

from wassa_lib.hf.callbacks import DevMonitor, TrainingAttention
from wassa_lib.hf.saved import CHECKPOINTS, DamagedModelError, check_files
from wassa_lib.hf.training_record import CAP, PATIENCE, TrainingRecord
from wassa_lib.settings.configs import TrainingConfig

logger = logging.getLogger(__name__)
BF16_CAPABILITY = (8, 0)
OPTIMIZER = "adamw_torch_fused"  # one fused kernel per step: on 2 CPU cores the Adam step falls from ~0.12 s to ~0.02 s


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True where this CPU computes bf16 in hardware (the ``avx512_bf16`` or ``amx_bf16`` flag of
    ``/proc/cpuinfo``); elsewhere bf16 is emulated and slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def choose_precision(requested: str, cuda: bool | None = None, cpu_bf16: bool | None = None) -> str:
    """The precision a training or inference runs in.

    On a GPU ``auto`` picks bf16 on compute capability 8.0 and above (Ampere, Hopper) and
    fp16 below (a T4 is 7.5); PyTorch's ``is_bf16_supported()`` is not asked: it is True on
    a T4, where bf16 is only emulated. On a CPU ``auto`` picks bf16 where the CPU has it in
    hardware (:func:`cpu_has_native_bf16`), else fp32; fp16 becomes fp32 there.
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if not cuda:
        native = cpu_has_native_bf16() if cpu_bf16 is None else cpu_bf16
        if requested == "bf16" or (requested == "auto" and native):
            return "bf16"
        return "fp32"
    bf16_ok = tuple(torch.cuda.get_device_capability()) >= BF16_CAPABILITY
    if requested == "auto":
        return "bf16" if bf16_ok else "fp16"
    if requested == "bf16" and not bf16_ok:
        raise ValueError(
            "precision bf16 was asked for, but this GPU (compute capability below 8.0) only "
            "emulates it; use fp16 or auto"
        )
    return requested


def eager_training_attention(precision: str, cuda: bool | None = None) -> bool:
    """True where training steps run the eager attention: on a CPU in bf16 (see :class:`TrainingAttention`)."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    return precision == "bf16" and not cuda


def prepare_model(model: PreTrainedModel, precision: str, cuda: bool | None = None) -> PreTrainedModel:
    """The attention kernel for training steps in ``precision`` (:func:`eager_training_attention`), for a
    hand-written training loop; the Trainer switches it per epoch through :class:`TrainingAttention`."""
    if eager_training_attention(precision, cuda):
        model.set_attn_implementation("eager")
    return model


def set_attention_dropout(model: torch.nn.Module, p: float | None) -> None:
    """Set the dropout on the attention probabilities of every attention module of ``model`` to ``p`` (None
    leaves the model's own)."""
    if p is None:
        return
    for module in model.modules():
        dropout = getattr(module, "dropout", None)
        if "Attention" in type(module).__name__ and isinstance(dropout, torch.nn.Dropout):
            dropout.p = p


def world_size() -> int:
    """Processes of this training (``WORLD_SIZE`` as torchrun and accelerate launch set it; 1 inline)."""
    return max(1, int(os.environ.get("WORLD_SIZE", "1")))


def is_main_process() -> bool:
    """True in the one process that writes results (rank 0 under torchrun; always true inline)."""
    return int(os.environ.get("RANK", "0")) == 0


def wait_for_everyone() -> None:
    """A barrier across the processes of a launched job (nothing inline)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def distributed_batch(cfg: TrainingConfig, processes: int) -> tuple[int, int]:
    """``(per-process batch, accumulation steps)`` that keep the params' global batch
    (``batch_size x gradient_accumulation_steps``) over ``processes``: fewer accumulation steps
    where they divide, else a smaller per-process batch."""
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    batch, accumulation = cfg.batch_size, cfg.gradient_accumulation_steps
    if accumulation % processes == 0:
        return batch, accumulation // processes
    if batch % processes == 0:
        return batch // processes, accumulation
    raise ValueError(
        f"batch_size {batch} x gradient_accumulation_steps {accumulation} cannot be shared by "
        f"{processes} processes; make one of them a multiple of {processes}"
    )


def effective_batch_size(cfg: TrainingConfig, n_devices: int = 1) -> int:
    """Essays per optimizer step: per-device batch x accumulation x devices."""
    if n_devices < 1:
        raise ValueError(f"n_devices must be at least 1, got {n_devices}")
    return cfg.batch_size * cfg.gradient_accumulation_steps * n_devices


def steps_per_epoch(n_examples: int, cfg: TrainingConfig, n_devices: int = 1) -> int:
    """Optimizer steps in one epoch over ``n_examples`` (the last partial batch counts)."""
    per_step = effective_batch_size(cfg, n_devices)
    return max(1, -(-n_examples // per_step))


def describe(cfg: TrainingConfig, n_examples: int) -> str:
    """One line on a fine-tuning: model, epochs, steps, batch, rate and precision."""
    return (
        f"{cfg.model}: {cfg.epochs:g} epochs x {steps_per_epoch(n_examples, cfg)} steps of "
        f"{effective_batch_size(cfg)} essays, lr {cfg.learning_rate:g}, precision {choose_precision(cfg.precision)}"
    )


def autocast(device_type: str, precision: str = "auto") -> AbstractContextManager:
    """Mixed precision for inference or a hand-written step, as :func:`choose_precision` decides
    (a no-op context in fp32, hence always on a CPU)."""
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(choose_precision(precision))
    return torch.autocast(device_type, dtype=dtype) if dtype is not None else nullcontext()


def sorted_batches(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    max_length: int,
    batch_size: int,
    device: torch.device | str,
) -> Iterator[tuple[np.ndarray, dict[str, torch.Tensor]]]:
    """``(positions, encodings)`` over ``texts`` sorted longest first, each batch padded to its longest
    text, so inference pads little; ``positions`` put the results back in input order."""
    if not len(texts):
        return
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer.pad(
            {
                "input_ids": [encoded["input_ids"][i] for i in idx],
                "attention_mask": [encoded["attention_mask"][i] for i in idx],
            },
            return_tensors="pt",
        )
        yield idx, {k: v.to(device) for k, v in batch.items()}


def tokenize_frame(
    df: pd.DataFrame,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    label_columns: Sequence[str] = (),
    text_column: str = "essay",
) -> Dataset:
    """A ``datasets.Dataset`` of unpadded encodings (padding happens per batch in the collator)."""
    columns = [text_column, *label_columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"frame lacks column(s) {', '.join(missing)}")
    ds = Dataset.from_pandas(df[columns].reset_index(drop=True), preserve_index=False)

    def encode(batch: dict) -> dict:
        enc = tokenizer(batch[text_column], truncation=True, max_length=max_length)
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    return ds.map(encode, batched=True, remove_columns=[text_column])


def _version_kwargs(args_cls: type, group_by_length: bool, warmup_ratio: float) -> dict:
    """Arguments spelled differently across transformers 4.x and 5.x."""
    names = {f.name for f in dataclasses.fields(args_cls)}
    kwargs: dict = {}
    if "train_sampling_strategy" in names:  # transformers >= 5
        kwargs["train_sampling_strategy"] = "group_by_length" if group_by_length else "random"
    else:
        kwargs["group_by_length"] = group_by_length
    if "warmup_ratio" in names:  # transformers 4.x; 5.x takes a float warmup_steps as a ratio
        kwargs["warmup_ratio"] = warmup_ratio
    elif warmup_ratio:
        kwargs["warmup_steps"] = warmup_ratio
    return kwargs


def training_arguments(
    cfg: TrainingConfig,
    output_dir: Path,
    metric_for_best: str,
    greater_is_better: bool = True,
    seq2seq: bool = False,
    **extra,
) -> TrainingArguments:
    """Trainer arguments: fused AdamW (no weight decay by default), per-epoch evaluation on the validation
    split, the best checkpoint kept and reloaded, precision chosen for the device; under a launcher
    the params' global batch is shared by the processes (:func:`distributed_batch`)."""
    precision = choose_precision(cfg.precision)
    args_cls = Seq2SeqTrainingArguments if seq2seq else TrainingArguments
    batch, accumulation = distributed_batch(cfg, world_size())
    return args_cls(
        output_dir=str(output_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=batch,
        per_device_eval_batch_size=cfg.eval_batch_size,
        gradient_accumulation_steps=accumulation,
        gradient_checkpointing=cfg.gradient_checkpointing,
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        optim=OPTIMIZER,
        fp16=precision == "fp16",
        bf16=precision == "bf16",
        # a CPU's bf16, and DistributedDataParallel over CPU processes, need the Trainer told it runs on a CPU
        use_cpu=not torch.cuda.is_available() and (precision == "bf16" or world_size() > 1),
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model=metric_for_best,
        greater_is_better=greater_is_better,
        save_only_model=not cfg.resumable,
        report_to="none",
        disable_tqdm=True,
        seed=cfg.seed,
        data_seed=cfg.seed,
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        **_version_kwargs(args_cls, cfg.group_by_length, cfg.warmup_ratio),
        **extra,
    )


def checkpoint_dir(work_dir: Path) -> Path:
    """Where the Trainer writes the checkpoints of the model saved to ``work_dir``: ``work_dir/checkpoints``,
    or a folder under ``$WASSA_SCRATCH_DIR`` where that is set (Colab: the fast local disk, while the run
    folder lives on Drive). Only the final model goes to ``work_dir``."""
    import hashlib

    scratch = os.environ.get("WASSA_SCRATCH_DIR")
    if not scratch:
        return Path(work_dir) / CHECKPOINTS
    key = hashlib.sha1(str(Path(work_dir).resolve()).encode()).hexdigest()[:12]
    return Path(scratch) / f"{Path(work_dir).name}-{key}" / CHECKPOINTS


def resume_checkpoint(output_dir: Path, resume: bool) -> str | None:
    """The last complete checkpoint in ``output_dir`` when resuming, else None (start afresh).

    A checkpoint that an interrupted save left without its ``trainer_state.json`` (written
    last), or that holds the model alone (``resumable: false``: no ``optimizer.pt``), is deleted first,
    so a resume never reads half a checkpoint.
    """
    if not resume or not Path(output_dir).is_dir():
        return None
    last = get_last_checkpoint(str(output_dir))
    while last and not all((Path(last) / name).is_file() for name in ("trainer_state.json", "optimizer.pt")):
        logger.warning("%s: checkpoint without the state to resume from, removed", last)
        shutil.rmtree(last)
        last = get_last_checkpoint(str(output_dir))
    return last


def reusable_record(path: Path, settings: dict, same_commit: bool = False) -> dict | None:
    """The record saved at ``path`` when it was written with these ``settings``, else None (train afresh).

    The one resume rule of both tracks: a saved model is reused only when the settings recorded
    beside it equal the requested ones and its files have the sizes recorded when it was saved
    (:mod:`wassa_lib.hf.saved`); a damaged one is trained again, saying so. With ``same_commit`` (a model
    shared by the runs of a record) it must also have been trained by the commit at hand.
    """
    path = Path(path)
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("settings") != json.loads(json.dumps(settings)):
        logger.info("%s: saved with other settings; training again", path.parent)
        return None
    try:
        check_files(path.parent, record.get("files", {}))
    except DamagedModelError as err:
        logger.warning("%s; training it again", err)
        return None
    from wassa_lib.settings.provenance import git_commit

    trained_at = (record.get("training") or {}).get("trained_at")
    if same_commit and trained_at != git_commit():
        logger.info("%s: trained at %s, not by the code at hand; training again", path.parent, trained_at)
        return None
    return record


def stopped_by(epochs_run: int, cfg: TrainingConfig) -> str:
    """:data:`PATIENCE` where early stopping ended the training before ``cfg.epochs``, else :data:`CAP` (every
    epoch ran)."""
    return PATIENCE if cfg.early_stopping_patience and epochs_run < int(np.ceil(cfg.epochs)) else CAP


def train(
    trainer: Trainer,
    cfg: TrainingConfig,
    checkpoints: Path,
    resume: bool,
    label: str = "",
    dev_score: Callable[[torch.nn.Module], dict[str, float]] | None = None,
) -> TrainingRecord:
    """``trainer.train()`` (from the last complete checkpoint when resuming), with progress logged under
    ``label``, stopped early where ``cfg.early_stopping_patience`` is set; returns its
    :class:`~wassa_lib.hf.training_record.TrainingRecord`: the validation metric after each epoch, the epoch kept,
    what ended it, the commit and resolved settings it was trained with, and what it cost. ``dev_score`` adds
    ``dev_by_epoch`` (:class:`DevMonitor`)."""
    from wassa_lib.hf.costs import CostBreakdown, training_flops
    from wassa_lib.hf.progress import TrainingProgress
    from wassa_lib.settings.provenance import git_commit

    cuda = torch.cuda.is_available()
    if trainer.args.world_size != world_size():
        raise RuntimeError(
            f"launched as {world_size()} processes, but the Trainer runs {trainer.args.world_size}: "
            "each process would train alone on all the data"
        )
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    costs = CostBreakdown()
    trainer.remove_callback(PrinterCallback)  # its raw log dicts; TrainingProgress says the same readably
    if is_main_process():
        trainer.add_callback(TrainingProgress(label or cfg.model))
    trainer.add_callback(costs)
    if eager_training_attention(choose_precision(cfg.precision), cuda):
        trainer.add_callback(TrainingAttention(trainer.model))
    if cfg.early_stopping_patience:
        trainer.add_callback(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience))
    monitor = DevMonitor(dev_score) if dev_score is not None else None
    if monitor is not None:
        trainer.add_callback(monitor)
    output = trainer.train(resume_from_checkpoint=resume_checkpoint(checkpoints, resume))
    tokens = sum(trainer.train_dataset["length"]) * float(trainer.state.epoch or 0.0)
    metric = f"eval_{trainer.args.metric_for_best_model}"
    curve = [round(float(entry[metric]), 4) for entry in trainer.state.log_history if metric in entry]
    best = (np.argmax if trainer.args.greater_is_better else np.argmin)(curve) if curve else None
    return TrainingRecord(
        model=cfg.model,
        steps=output.global_step,
        epochs=cfg.epochs,
        train_seconds=round(output.metrics["train_runtime"], 1),
        samples_per_second=round(output.metrics["train_samples_per_second"], 2),
        tokens=int(tokens),
        **costs.summary(
            output.metrics["train_runtime"], output.global_step, training_flops(trainer.model, int(tokens))
        ),
        world_size=trainer.args.world_size,
        per_process_batch_size=trainer.args.per_device_train_batch_size,
        gradient_accumulation_steps=trainer.args.gradient_accumulation_steps,
        global_batch_size=trainer.args.per_device_train_batch_size
        * trainer.args.gradient_accumulation_steps
        * trainer.args.world_size,
        essays_per_process_per_epoch=-(-len(trainer.train_dataset) // trainer.args.world_size),
        validation_by_epoch=curve,
        best_epoch=None if best is None else int(best) + 1,
        epochs_run=len(curve),
        stopped_by=stopped_by(len(curve), cfg),
        trained_at=git_commit(),
        settings=cfg.settings(),
        dev_by_epoch=None if monitor is None else DevMonitor.by_epoch(trainer.state.log_history),
        peak_gpu_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
    )
