"""Slow tier: the paper profile's code paths on a CPU. Notebooks 01-05 of the paper profile with every model in
its published shape and random weights (params/layers/random-init.yaml), at a tiny size: BERT, ALBERT, Pegasus,
T5 and the CARER-checkpoint pairing go through the real code, so a Colab user meets no bug that one
architecture alone has."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from wassa_lib.runner.params import load_params
from wassa_lib.runner.run import Runner

pytestmark = pytest.mark.slow
TINY = {"epochs": 1, "batch_size": 4, "eval_batch_size": 8, "max_length": 24}


def _tiny_layer(path) -> None:
    """The random-init paper profile with a handful of essays, one epoch and short inputs."""
    params = load_params("paper", layers=["params/layers/random-init.yaml"])
    track1 = {**params["track1_training"], **TINY, "precision": "fp32"}
    models = [
        {**m, "training": {**m["training"], **TINY, "gradient_accumulation_steps": 1, "precision": "fp32"}}
        for m in params["track2_models"]
    ]
    incremental = {
        **params["track2_incremental"],
        "max_train_samples": 24,
        "max_valid_samples": 12,
        "training": {**params["track2_incremental"]["training"], **TINY},
    }
    path.write_text(
        yaml.safe_dump(
            {
                "max_train_samples": 16,
                "bootstrap_resamples": 20,
                "track1_training": track1,
                "track2_models": models,
                "track2_incremental": incremental,
                "track1_multitask": False,
            }
        )
    )


def test_every_paper_model_runs_through_notebooks_01_to_05(tmp_path, maybe_real_dir):
    layer = tmp_path / "tiny.yaml"
    _tiny_layer(layer)
    out = tmp_path / "paper"
    Runner(
        "paper",
        layers=["params/layers/random-init.yaml", str(layer)],
        output_dir=str(out),
        data_dir=str(maybe_real_dir) if maybe_real_dir else "mock",
        log_output=False,
        echo=lambda _: None,
    ).run()
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(record["status"] == "done" for record in manifest["notebooks"].values())
    table4 = pd.read_csv(out / "tables" / "table4.csv")
    names = {m["name"] for m in load_params("paper")["track2_models"]}
    assert names <= set(table4["model"])
    stage1 = pd.read_csv(out / "tables" / "table4_stage1.csv")
    assert set(stage1["stage1"]) == {"kit's CARER stage", "published checkpoint"}
    assert (out / "submission" / "submission.zip").is_file()
