"""Benchmark of a profile: per-notebook wall time and peak memory, training and inference throughput,
and the cost of a training step with dynamic padding against padding every essay to 256 tokens."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from wassa_lib.data.wassa import load_splits
from wassa_lib.evaluation.records import training_records
from wassa_lib.hf.costs import matmul_peak_flops
from wassa_lib.hf.models import load_model
from wassa_lib.hf.progress import show
from wassa_lib.hf.training import autocast, choose_precision, prepare_model
from wassa_lib.runner.bench_record import Benchmark
from wassa_lib.runner.params import RunError, run_config
from wassa_lib.settings.layout import manifest_path


def step_cost(
    model_spec: str,
    essays: list[str],
    batch_size: int = 16,
    steps: int = 5,
    pad_to: int | None = None,
    max_length: int = 256,
    seed: int = 0,
    precision: str = "auto",
) -> dict:
    """Mean seconds of one forward+backward+Adam step of a regression fine-tune, set up as training is
    (:func:`wassa_lib.hf.training.prepare_model`, fused AdamW) in ``precision``.

    ``pad_to=None`` pads each batch to its longest essay, batches drawn from length-sorted
    essays as the Trainer's length grouping does; ``pad_to=256`` pads every essay to 256 tokens.
    """
    model, tokenizer = load_model(model_spec, "regression", corpus=essays, seed=seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = choose_precision(precision)
    prepare_model(model, precision)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.0, fused=True)
    rng = np.random.default_rng(seed)
    order = np.argsort([len(e) for e in essays]) if pad_to is None else rng.permutation(len(essays))
    starts = rng.choice(max(1, len(essays) - batch_size), size=steps + 1, replace=False)
    padding = "longest" if pad_to is None else "max_length"
    times, tokens = [], []
    for i, start in enumerate(starts):
        batch = [essays[j] for j in order[start : start + batch_size]]
        enc = tokenizer(
            batch, truncation=True, max_length=pad_to or max_length, padding=padding, return_tensors="pt"
        ).to(device)
        labels = torch.zeros(len(batch), device=device)
        begin = time.perf_counter()
        with autocast(device, precision):
            loss = model(**enc, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if device == "cuda":
            torch.cuda.synchronize()
        if i:  # the first step warms up
            times.append(time.perf_counter() - begin)
            tokens.append(enc["input_ids"].shape[1])
    return {
        "padding": "dynamic" if pad_to is None else f"max_length_{pad_to}",
        "precision": precision,
        "batch_size": batch_size,
        "seconds_per_step": float(np.mean(times)),
        "mean_padded_length": float(np.mean(tokens)),
        "steps_timed": len(times),
    }


def predict_throughput(run_dir: Path, essays: pd.DataFrame) -> dict:
    """Essays per second of the ``predict`` path (both tracks) on ``essays``."""
    from wassa_lib.runner.predict import predict_frame

    start = time.perf_counter()
    predict_frame(run_dir, essays, echo=lambda _: None)
    seconds = time.perf_counter() - start
    return {"essays": len(essays), "seconds": round(seconds, 2), "essays_per_second": round(len(essays) / seconds, 2)}


def benchmark(profile: str, run: bool = True, echo: Callable[[str], None] = print, **runner_kwargs) -> Benchmark:
    """Run the profile (unless ``run`` is False: reuse its finished run) and write ``benchmark.json``."""
    from wassa_lib.runner.run import Runner
    from wassa_lib.settings.provenance import git_commit, machine

    runner = Runner(profile, echo=echo, **runner_kwargs)
    if run:
        runner.run()
    params, out = runner.params, runner.out
    manifest_file = manifest_path(out)
    if not manifest_file.is_file():
        raise RunError(f"{out}: no finished run to benchmark (no manifest.json); run without --no-run")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    splits = load_splits(run_config(params).wassa_data_dir(write_mock=False))
    essays = splits.train["essay"].tolist()
    model_spec = params.get("track1_training", {}).get("model", "packaged-minilm")
    show()  # the models' loading reports and progress bars are noise here
    precision = choose_precision("auto")
    echo(f"timing training steps: dynamic padding vs 256 tokens ({precision}), and fp32 vs {precision}")
    steps = [
        step_cost(model_spec, essays, pad_to=None),
        step_cost(model_spec, essays, pad_to=256),
        step_cost(model_spec, essays, pad_to=None, precision="fp32"),
    ]
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    peak = matmul_peak_flops(dtype=dtype)
    training = {
        name: dataclasses.replace(record, model_flops_utilisation=round(record.training_flops_per_second / peak, 3))
        for name, record in training_records(out).items()
    }
    report = Benchmark(
        profile=profile,
        layers=[Path(layer).name for layer in runner.layers],
        commit=git_commit(),
        machine=machine(),
        peak_flops={
            "value": round(peak, 1),
            "precision": precision,
            "how": f"{precision} 2048x2048 matrix product with torch on this device (the practical peak "
            "in the precision training ran in; model FLOPs utilisation is measured against it)",
        },
        notebooks={
            name: {k: rec.get(k) for k in ("wall_s", "peak_rss_mb", "peak_gpu_mb") if k in rec}
            for name, rec in manifest["notebooks"].items()
        },
        total_wall_s=round(sum(rec.get("wall_s", 0) for rec in manifest["notebooks"].values()), 1),
        training=training,
        training_step={
            "model": model_spec,
            "runs": steps,
            "speedup_dynamic_vs_256": round(steps[1]["seconds_per_step"] / steps[0]["seconds_per_step"], 2),
            f"speedup_{precision}_vs_fp32": round(steps[2]["seconds_per_step"] / steps[0]["seconds_per_step"], 2),
        },
        predict=predict_throughput(out, splits.dev),
    )
    report.save(out / "benchmark.json")
    echo(f"wrote {out / 'benchmark.json'}")
    return report
