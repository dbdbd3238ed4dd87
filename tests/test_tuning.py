"""Tuning on the validation split: the grid, each tuning run's rates, and tuning.csv from finished runs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from conftest import training_record

from wassa_lib.evaluation import tuning
from wassa_lib.evaluation.records import ModelEntry
from wassa_lib.runner.params import RunError, check_params, load_params
from wassa_lib.settings.layout import tuning_run_dir

GRID = {"track1": [1e-5, 2e-5], "classification": [1e-4, 2e-4], "generation": [1e-4, 2e-4]}
MODELS = [
    {"name": "clf", "family": "classification", "model": "tiny-encoder", "training": {"learning_rate": 2e-4}},
    {
        "name": "gen",
        "family": "generation",
        "model": "tiny-seq2seq",
        "incremental": True,
        "training": {"learning_rate": 1e-4},
    },
]
PARAMS = {
    "track1_training": {"model": "tiny-encoder", "learning_rate": 2e-5},
    "track1_pooling": "cls",
    "track2_models": MODELS,
    "tuning_learning_rates": GRID,
}


@pytest.mark.parametrize(
    "grid, message",
    [
        (
            {"track1": [1e-5]},
            "tuning_learning_rates: expected a mapping with the keys track1, classification, generation",
        ),
        ({**GRID, "generation": [1e-4, -1.0]}, r"tuning_learning_rates.generation: expected a list of positive"),
        ({**GRID, "track1": [1e-5]}, "tuning_learning_rates: every family needs as many rates"),
    ],
)
def test_a_bad_grid_is_one_line_naming_the_key(grid, message):
    with pytest.raises(ValueError, match=message):
        tuning.check_grid(grid)
    with pytest.raises(RunError, match=f"^parameter {message}"):
        check_params({"tuning_learning_rates": grid})


def test_each_point_sets_every_familys_rate_and_nothing_else():
    first = tuning.variant(
        {**PARAMS, "track2_models": [*MODELS, {**MODELS[1], "name": "p", "person_features": True}]}, 1
    )
    assert first["track1_training"] == {"model": "tiny-encoder", "learning_rate": 1e-5}
    assert first["track1_multitask"] is False and [m["name"] for m in first["track2_models"]] == ["clf", "gen"]
    assert [m["training"]["learning_rate"] for m in first["track2_models"]] == [1e-4, 1e-4]
    assert MODELS[0]["training"]["learning_rate"] == 2e-4  # the profile's own entries are untouched
    assert tuning_run_dir("outputs/cpu", 2) == Path("outputs/cpu-tune2")
    with pytest.raises(ValueError, match="the grid has 2 points"):
        tuning.variant(PARAMS, 3)


def test_every_profile_has_a_valid_grid():
    for profile in ("cpu", "paper", "smoke"):
        assert tuning.points(load_params(profile)) >= 2


def _entry(valid_macro_f1: float) -> ModelEntry:
    scores = dict.fromkeys(("macro_f1", "micro_f1", "accuracy", "macro_precision", "micro_precision"), 0.5)
    return ModelEntry(
        **scores, macro_recall=0.5, micro_recall=0.5, per_class_f1={}, valid_macro_f1=valid_macro_f1, seconds=1.0
    )


def _finished_run(run: Path, point: int, scores: dict, probe: dict, track2: bool = True) -> None:
    """What notebooks 02 and (with ``track2``) 04 of tuning run ``point`` record."""
    variant = tuning.variant(PARAMS, point)
    (run / "metrics").mkdir(parents=True)
    notebooks = ["01_data", "02_track1_finetune"] + ["04_track2_generation"] * track2
    (run / "manifest.json").write_text(
        json.dumps({"params": {**PARAMS, **variant}, "notebooks": {name: {"status": "done"} for name in notebooks}})
    )
    curve = lambda best: asdict(training_record(validation_by_epoch=[best - 0.1, best], best_epoch=2))  # noqa: E731
    (run / "metrics" / "02_track1_finetune.json").write_text(
        json.dumps(
            {
                "encoders": [
                    {"score": "empathy", "validation_pearson": scores["t1"]},
                    {"score": "distress", "validation_pearson": scores["t1"] + 0.1},
                ],
                "carried_by_pooling": probe,
                "training": {"track1_empathy": curve(scores["t1"]), "track1_distress": curve(scores["t1"] + 0.1)},
            }
        )
    )
    if not track2:
        return
    (run / "metrics" / "04_track2.json").write_text(
        json.dumps(
            {
                "models": {name: asdict(_entry(scores[name])) for name in ("clf", "gen")},
                "training": {f"track2_{name}": curve(scores[name]) for name in ("clf", "gen")},
            }
        )
    )


def test_the_table_keeps_the_best_validation_value_and_says_whether_the_profile_uses_it(tmp_path):
    main = tmp_path / "cpu"
    assert tuning.tuning_table(main, PARAMS) is None
    _finished_run(tuning_run_dir(main, 1), 1, {"t1": 0.30, "clf": 0.40, "gen": 0.45}, {"cls": 0.5, "mean": 0.4})
    _finished_run(tuning_run_dir(main, 2), 2, {"t1": 0.20, "clf": 0.40, "gen": 0.35}, {"cls": 0.1, "mean": 0.2})
    table = tuning.tuning_table(main, PARAMS).set_index(["system", "setting", "value"])
    t1 = tuning.TRACK1_SYSTEM
    # the carried system's validation score at its best pooling, not the encoders' own Pearson
    assert table.loc[(t1, "learning_rate", 1e-5), "validation"] == pytest.approx(0.5)
    assert table.loc[(t1, "learning_rate", 2e-5), "validation"] == pytest.approx(0.2)
    assert table.loc[(t1, "learning_rate", 1e-5), "kept"] and not table.loc[(t1, "learning_rate", 1e-5), "in_profile"]
    assert table.loc[(t1, "learning_rate", 2e-5), "in_profile"] and not table.loc[(t1, "learning_rate", 2e-5), "kept"]
    # the poolings of the run of the kept Track-1 rate (run 1), not of run 2
    assert table.loc[(t1, "pooling", "cls"), "kept"] and table.loc[(t1, "pooling", "cls"), "validation"] == 0.5
    # a tie keeps the profile's own value
    assert table.loc[("clf", "learning_rate", 2e-4), "kept"] and not table.loc[("clf", "learning_rate", 1e-4), "kept"]
    assert table.loc[("gen", "learning_rate", 1e-4), "kept"] and table.loc[("gen", "learning_rate", 1e-4), "in_profile"]
    assert table.loc[("gen", "learning_rate", 1e-4), "family"] == "generation + CARER stage"
    assert table.loc[("gen", "learning_rate", 1e-4), "best_epoch"] == "2"
    assert table.groupby(level=[0, 1])["kept"].sum().eq(1).all()


def test_track1_alone_tuning_runs_give_the_track1_rows_only(tmp_path):
    main = tmp_path / "cpu"
    _finished_run(tuning_run_dir(main, 1), 1, {"t1": 0.30}, {"cls": 0.5, "mean": 0.4}, track2=False)
    _finished_run(tuning_run_dir(main, 2), 2, {"t1": 0.20}, {"cls": 0.1, "mean": 0.6}, track2=False)
    table = tuning.tuning_table(main, PARAMS)
    assert set(table["system"]) == {tuning.TRACK1_SYSTEM}
    kept = table[table["kept"]].set_index("setting")["value"]
    assert kept["learning_rate"] == 2e-5 and kept["pooling"] == "mean"
    from wassa_lib.evaluation.plots import tuning_curves

    assert [ax.get_title() for ax in tuning_curves(table).axes] == ["Track 1"]  # no empty Track-2 panel


def test_an_unfinished_tuning_run_is_named(tmp_path):
    main = tmp_path / "cpu"
    run = tuning_run_dir(main, 1)
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"params": PARAMS}))
    with pytest.raises(FileNotFoundError, match="cpu-tune1 did not finish"):
        tuning.tuning_table(main, PARAMS)


def test_a_future_work_row_trains_at_the_rate_of_the_row_it_extends():
    for profile in ("cpu", "smoke"):
        models = load_params(profile)["track2_models"]
        for person in [m for m in models if m.get("person_features")]:
            twins = [
                m
                for m in models
                if not m.get("person_features")
                and m["model"] == person["model"]
                and m["family"] == person["family"]
                and m.get("incremental") == person.get("incremental")
            ]
            assert len(twins) == 1, person["name"]
            assert person["training"]["learning_rate"] == twins[0]["training"]["learning_rate"], person["name"]


def test_the_pooler_row_layer_repeats_the_profiles_rows():
    """The layer lists Table 4's rows again (a layer replaces a whole key), so a re-tuned rate must reach both."""
    from wassa_lib.runner.params import resolve
    from wassa_lib.settings.configs import REPO_ROOT

    whole, _ = resolve("cpu")
    layered, _ = resolve("cpu", [REPO_ROOT / "params" / "layers" / "cpu-pooler-row.yaml"])
    assert [m for m in layered["track2_models"] if m.get("pooling") != "pooler"] == whole["track2_models"]
    assert len(layered["track2_models"]) == len(whole["track2_models"]) + 1
