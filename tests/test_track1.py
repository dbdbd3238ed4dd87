"""Track 1 encoders: fine-tuning a tiny encoder, embeddings, save/load, predict_scores from saved artifacts."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from wassa_lib.data.mock import mock_essays
from wassa_lib.data.wassa import PERSON_FEATURES, SCORES
from wassa_lib.settings.configs import TrainingConfig
from wassa_lib.settings.layout import track1_dir
from wassa_lib.track1 import embeddings
from wassa_lib.track1 import finetune as track1
from wassa_lib.track1 import predict as track1_predict
from wassa_lib.track1.features import feature_frame, feature_pipeline
from wassa_lib.track1.regressors import fit_and_score, make_regressor

TINY = {
    "model": "tiny-encoder",
    "epochs": 1,
    "batch_size": 8,
    "eval_batch_size": 16,
    "max_length": 64,
    "learning_rate": 1e-3,
    "max_steps": 2,
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder holding both fine-tuned tiny encoders, embeddings and a selected regressor."""
    run = tmp_path_factory.mktemp("run")
    tdir = track1_dir(run)
    essays = mock_essays(40, seed=3)
    fit, valid, dev = essays.iloc[:24], essays.iloc[24:32], essays.iloc[32:]
    cfg = TrainingConfig.from_params(TINY, seed=7)
    models = {score: track1.fine_tune(score, fit, valid, cfg, track1.model_dir(tdir, score)) for score in SCORES}
    embeddings.write_encoders_info(tdir, "mean", cfg.max_length, cfg.eval_batch_size, cfg.model)
    embedded = embeddings.embed_splits(models, {"fit": fit, "validation": valid, "dev": dev}, "mean", 64, 16)
    for split, emb in embedded.items():
        embeddings.save_embeddings(emb, embeddings.embeddings_path(tdir, split))
    frames = {
        split: feature_frame(frame, embedded[split].empathy, embedded[split].distress)
        for split, frame in (("fit", fit), ("dev", dev))
    }
    full = fit_and_score(feature_pipeline(make_regressor("ridge")), frames["fit"], {"dev": frames["dev"]})
    text = fit_and_score(feature_pipeline(make_regressor("ridge"), "text_only"), frames["fit"], {"dev": frames["dev"]})
    track1.save_selection(tdir, "ridge", full.pipeline, text.pipeline, full.scores)
    return {
        "run": run,
        "dir": tdir,
        "models": models,
        "dev": dev,
        "fit": fit,
        "valid": valid,
        "embedded": embedded,
        "full": full,
        "text": text,
        "cfg": cfg,
    }


def test_fine_tune_saves_safetensors_and_summary(run_dir):
    for score in SCORES:
        directory = track1.model_dir(run_dir["dir"], score)
        assert (directory / "model.safetensors").is_file()
        assert not (directory / "checkpoints").exists()
        summary = json.loads((directory / track1.SUMMARY_FILE).read_text())
        assert summary["score"] == score
        assert summary["label_mean"] == pytest.approx(run_dir["fit"][score].mean())
        assert np.isfinite(summary["validation_pearson"])


def test_embeddings_have_one_row_per_essay_in_order(run_dir):
    hidden = run_dir["models"]["empathy"].model.config.hidden_size
    for split, n in (("fit", 24), ("validation", 8), ("dev", 8)):
        emb = embeddings.load_embeddings(run_dir["dir"], split)
        assert emb.empathy.shape == (n, hidden) and emb.distress.shape == (n, hidden)
        assert emb.empathy_head.shape == (n,)
    dev = run_dir["dev"]
    emb = embeddings.load_embeddings(run_dir["dir"], "dev", dev["message_id"])
    alone, _ = embeddings.encode(run_dir["models"]["distress"], dev["essay"].iloc[::-1].tolist(), "mean", 64, 3)
    np.testing.assert_allclose(alone[::-1], emb.distress, rtol=1e-4, atol=1e-5)


def test_the_three_poolings_differ_and_unknown_pooling_fails(run_dir):
    tuned, texts = run_dir["models"]["empathy"], run_dir["dev"]["essay"].tolist()
    pooler, heads = embeddings.encode(tuned, texts, "pooler", 64)
    cls, _ = embeddings.encode(tuned, texts, "cls", 64)
    mean, heads_again = embeddings.encode(tuned, texts, "mean", 64)
    assert pooler.shape == cls.shape == mean.shape
    assert not np.allclose(cls, mean) and not np.allclose(pooler, cls)
    assert np.abs(pooler).max() <= 1.0  # the pooler's tanh
    np.testing.assert_allclose(heads, heads_again, rtol=1e-5)
    with pytest.raises(ValueError, match="pooling: must be one of pooler, cls, mean"):
        embeddings.encode(tuned, texts, "max", 64)


def test_embeddings_of_another_split_are_refused(run_dir):
    with pytest.raises(ValueError, match="differ from the dev split"):
        embeddings.load_embeddings(run_dir["dir"], "dev", run_dir["fit"]["message_id"].iloc[:8])


def test_missing_embeddings_name_the_file_and_the_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"embeddings/test\.npz not found; notebook 02 writes it"):
        embeddings.load_embeddings(tmp_path, "test")


def test_save_load_round_trip_gives_the_same_embeddings(run_dir):
    texts = run_dir["dev"]["essay"].tolist()
    loaded = track1.load_fine_tuned(track1.model_dir(run_dir["dir"], "empathy"))
    original = run_dir["models"]["empathy"]
    assert loaded.label_std == original.label_std
    for a, b in zip(embeddings.encode(original, texts, "mean", 64), embeddings.encode(loaded, texts, "mean", 64)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_predict_scores_reproduces_the_selected_pipeline(run_dir):
    dev = run_dir["dev"].iloc[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predicted = track1_predict.predict_scores(run_dir["run"], dev)
    assert list(predicted.columns) == ["empathy", "distress"]
    assert list(predicted.index) == list(dev.index)
    expected = run_dir["full"].predictions["dev"].iloc[::-1].to_numpy()
    np.testing.assert_allclose(predicted.to_numpy(), expected, rtol=1e-4, atol=1e-4)


def test_predict_scores_without_person_features_uses_text_only_pipeline(run_dir, caplog):
    dev = run_dir["dev"][["message_id", "essay"]]
    predicted = track1_predict.predict_scores(run_dir["run"], dev)
    assert f"{len(dev)} of {len(dev)} essays lack person features: predicted with the text-only ridge" in caplog.text
    np.testing.assert_allclose(
        predicted.to_numpy(), run_dir["text"].predictions["dev"].to_numpy(), rtol=1e-4, atol=1e-4
    )


def test_rows_lacking_a_person_feature_fall_back_one_by_one(run_dir, caplog):
    dev = run_dir["dev"].astype({"age": object})
    dev.iloc[1, dev.columns.get_loc("age")] = ""  # a blank in a file read as text
    dev.iloc[3, dev.columns.get_loc("age")] = np.nan
    predicted = track1_predict.predict_scores(run_dir["run"], dev).to_numpy()
    assert "2 of 8 essays lack person features" in caplog.text
    full, text = run_dir["full"].predictions["dev"].to_numpy(), run_dir["text"].predictions["dev"].to_numpy()
    lacking = np.isin(np.arange(len(dev)), [1, 3])
    np.testing.assert_allclose(predicted[lacking], text[lacking], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(predicted[~lacking], full[~lacking], rtol=1e-4, atol=1e-4)


def test_predict_scores_before_notebook_03_says_which_file(tmp_path, run_dir):
    (tmp_path / "artifacts" / "track1").mkdir(parents=True)
    (tmp_path / "artifacts" / "track1" / embeddings.ENCODERS_FILE).write_text(
        (run_dir["dir"] / embeddings.ENCODERS_FILE).read_text()
    )
    with pytest.raises(FileNotFoundError, match="regressor_selection.json not found; notebook 03 writes it"):
        track1_predict.predict_scores(tmp_path, run_dir["dev"])


def test_resume_reuses_a_model_only_when_its_settings_are_the_same(run_dir, tmp_path):
    import shutil

    directory = tmp_path / "empathy_model"
    shutil.copytree(track1.model_dir(run_dir["dir"], "empathy"), directory)
    same = track1.fine_tune("empathy", run_dir["fit"], run_dir["valid"], run_dir["cfg"], directory, resume=True)
    assert same.seconds == run_dir["models"]["empathy"].seconds  # reused, not trained
    smaller_batch = TrainingConfig.from_params({**TINY, "batch_size": 4}, seed=7)
    retrained = track1.fine_tune("empathy", run_dir["fit"], run_dir["valid"], smaller_batch, directory, resume=True)
    assert retrained.seconds != same.seconds and retrained.settings["batch_size"] == 4
    assert json.loads((directory / track1.SUMMARY_FILE).read_text())["settings"]["batch_size"] == 4


def test_unknown_score_is_refused(run_dir):
    cfg = TrainingConfig.from_params(TINY)
    with pytest.raises(ValueError, match="score must be one of empathy, distress"):
        track1.fine_tune("anger", run_dir["fit"], run_dir["fit"], cfg, run_dir["dir"] / "x")


def test_person_features_are_kept_in_feature_frames(run_dir):
    emb = run_dir["embedded"]["dev"]
    frame = feature_frame(run_dir["dev"], emb.empathy, emb.distress)
    assert set(PERSON_FEATURES) <= set(frame.columns)
    pd.testing.assert_series_equal(frame["age"], run_dir["dev"]["age"].reset_index(drop=True))


def test_comparison_chooses_on_validation_and_builds_table2(run_dir):
    from wassa_lib.track1.table2 import compare

    frames = {
        split: feature_frame(frame, run_dir["embedded"][split].empathy, run_dir["embedded"][split].distress)
        for split, frame in (("fit", run_dir["fit"]), ("validation", run_dir["valid"]), ("dev", run_dir["dev"]))
    }
    heads = {split: run_dir["embedded"][split].heads() for split in ("validation", "dev")}
    params = {"svr": {"C": 1.0}, "ridge": {"alpha": 1.0}, "mlp": {"hidden_layer_sizes": [8], "max_iter": 50}}
    result = compare(frames, heads, params, {"tfidf": {"min_df": 1}, "ridge": {"alpha": 1.0}}, seed=0)
    valid = {name: scored.scores["validation"]["average"] for name, scored in result.regressors.items()}
    assert result.best == max(valid, key=valid.get)
    table = result.table2()
    ours = table[table["source"] == "this kit"]
    assert list(ours["kind"]) == ["regressor"] * 3 + ["ablation"] * 4 + ["as run"] + ["floor"]
    assert ours[["distress", "empathy", "average", "validation_average"]].notna().all().all()
    assert set(table[table["source"] != "this kit"]["regressor"]) == {"svr", "xgboost", "adaboost", "mlp"}
    record = result.record()
    assert record.best_regressor == result.best
    assert record.best_beats_floor == (record.best_dev["average"] > result.floor_average())
    assert record.best_dev == result.regressors[result.best].scores["dev"]
    # as the authors ran it: each score from the ablation that reads its own encoder's embedding
    as_run = result.as_run.predictions["dev"]
    np.testing.assert_allclose(as_run["empathy"], result.ablations["empathy_only"].predictions["dev"]["empathy"])
    np.testing.assert_allclose(as_run["distress"], result.ablations["distress_only"].predictions["dev"]["distress"])


def test_the_erroneous_submission_feeds_the_distress_embedding_to_the_empathy_regressor(run_dir):
    from wassa_lib.track1.table2 import swap_embeddings

    frame = feature_frame(run_dir["dev"], run_dir["embedded"]["dev"].empathy, run_dir["embedded"]["dev"].distress)
    swapped = swap_embeddings(frame)
    emp = [c for c in frame.columns if c.startswith("emp_")]
    dis = [c for c in frame.columns if c.startswith("dis_")]
    np.testing.assert_array_equal(swapped[emp].to_numpy(), frame[dis].to_numpy())
    np.testing.assert_array_equal(swapped[dis].to_numpy(), frame[dis].to_numpy())
    assert not np.array_equal(frame[emp].to_numpy(), frame[dis].to_numpy())


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU bf16 path")
def test_bf16_on_a_cpu_trains_and_leaves_the_default_attention(run_dir, tmp_path):
    cfg = TrainingConfig.from_params({**TINY, "precision": "bf16"}, seed=7)
    tuned = track1.fine_tune("empathy", run_dir["fit"], run_dir["valid"], cfg, tmp_path / "bf16")
    assert tuned.training.steps == 2 and np.isfinite(tuned.validation_pearson)
    assert tuned.model.config._attn_implementation == run_dir["models"]["empathy"].model.config._attn_implementation
    assert tuned.model.config._attn_implementation != "eager"


def test_the_joint_encoder_has_two_heads_and_its_embeddings_round_trip(run_dir, tmp_path):
    fit, valid, dev = run_dir["fit"], run_dir["valid"], run_dir["dev"]
    joint = track1.fine_tune(track1.JOINT, fit, valid, run_dir["cfg"], tmp_path / "joint_model")
    assert joint.model.config.num_labels == 2 and np.isfinite(joint.validation_pearson)
    assert joint.label_mean == pytest.approx([fit["empathy"].mean(), fit["distress"].mean()])
    embedded = embeddings.embed_joint(joint, {"validation": valid, "dev": dev}, "cls", 64, 16)
    embeddings.save_joint(embedded, tmp_path)
    back = embeddings.load_joint(tmp_path, "dev", dev["message_id"])
    pd.testing.assert_frame_equal(back[embedded["dev"].columns], embedded["dev"], check_dtype=False)
    heads = back[["empathy", "distress"]].to_numpy()
    assert heads.shape == (len(dev), 2) and not np.allclose(heads[:, 0], heads[:, 1])
    mt = back.filter(regex=r"^mt_").to_numpy()
    assert mt.shape == (len(dev), joint.model.config.hidden_size)
    with pytest.raises(ValueError, match="differ from the validation split"):
        embeddings.load_joint(tmp_path, "validation", dev["message_id"])
    reloaded = track1.load_fine_tuned(tmp_path / "joint_model")
    np.testing.assert_allclose(
        embeddings.encode(reloaded, dev["essay"].tolist(), "cls", 64)[1], heads, rtol=1e-4, atol=1e-5
    )


def test_the_carried_system_is_scored_on_validation_for_every_pooling(run_dir):
    from wassa_lib.track1.features import feature_frame
    from wassa_lib.track1.table2 import best_on_validation

    params = {"svr": {"C": 1.0}, "mlp": {"hidden_layer_sizes": [8], "max_iter": 50}}
    probe = embeddings.carried_by_pooling(
        run_dir["models"], run_dir["fit"], run_dir["valid"], 64, params, batch_size=16
    )
    fit, valid = run_dir["fit"], run_dir["valid"]
    frames = {
        name: feature_frame(
            frame,
            *(
                embeddings.encode(run_dir["models"][s], frame["essay"].tolist(), "mean", 64)[0]
                for s in ("empathy", "distress")
            ),
        )
        for name, frame in (("fit", fit), ("validation", valid))
    }
    assert probe["mean"] == pytest.approx(best_on_validation(frames, params)[1], abs=1e-3)
    assert set(probe) == {"pooler", "cls", "mean"} and all(-1 <= v <= 1 for v in probe.values())


def test_the_authors_head_learns_raw_scores_from_the_cls_state_and_survives_save_and_load(run_dir, tmp_path):
    fit, valid, dev = run_dir["fit"], run_dir["valid"], run_dir["dev"]
    tuned = track1.fine_tune("empathy", fit, valid, run_dir["cfg"], tmp_path / "authors", head="authors")
    layers = [type(m).__name__ for m in tuned.model.classifier]
    assert layers == ["Linear", "ReLU", "Dropout", "Linear", "ReLU"]
    assert tuned.model.classifier[0].out_features == 50 and tuned.model.classifier[2].p == 0.4
    assert (tuned.label_mean, tuned.label_std) == (0.0, 1.0)  # raw scores, not standardised
    texts = dev["essay"].tolist()
    pooler, heads = embeddings.encode(tuned, texts, "pooler", 64)
    cls, _ = embeddings.encode(tuned, texts, "cls", 64)
    np.testing.assert_allclose(pooler, cls, rtol=1e-6)  # the head reads the [CLS] state, not BERT's pooler
    assert (heads >= 0).all()  # the last ReLU
    loaded = track1.load_fine_tuned(tmp_path / "authors")
    np.testing.assert_allclose(embeddings.encode(loaded, texts, "cls", 64)[1], heads, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="track1_head: must be one of linear, authors, got 'mlp'"):
        track1.fine_tune("empathy", fit, valid, run_dir["cfg"], tmp_path / "x", head="mlp")


def test_the_regressor_is_chosen_on_validation_where_dev_disagrees(run_dir):
    """Dev holds the validation essays with their gold negated: what validation ranks first, dev ranks last."""
    from wassa_lib.track1.table2 import compare

    valid, embedded = run_dir["valid"], run_dir["embedded"]
    frames = {
        "fit": feature_frame(run_dir["fit"], embedded["fit"].empathy, embedded["fit"].distress),
        "validation": feature_frame(valid, embedded["validation"].empathy, embedded["validation"].distress),
    }
    frames["dev"] = frames["validation"].assign(
        empathy=-valid["empathy"].to_numpy(), distress=-valid["distress"].to_numpy()
    )
    heads = {"validation": embedded["validation"].heads(), "dev": embedded["validation"].heads()}
    params = {"svr": {"C": 1.0}, "ridge": {"alpha": 1.0}, "mlp": {"hidden_layer_sizes": [8], "max_iter": 50}}
    result = compare(frames, heads, params, {"tfidf": {"min_df": 1}, "ridge": {"alpha": 1.0}}, seed=0)
    on = {
        split: {n: s.scores[split]["average"] for n, s in result.regressors.items()} for split in ("validation", "dev")
    }
    assert max(on["validation"], key=on["validation"].get) != max(on["dev"], key=on["dev"].get)
    assert result.best == max(on["validation"], key=on["validation"].get)


def test_the_best_epoch_is_the_one_saved_not_the_last(tmp_path):
    """At this rate the tiny encoder peaks at epoch 2 of 4: the saved model scores what epoch 2 scored."""
    from wassa_lib.scoring.scorer import pearson

    essays = mock_essays(40, seed=3)
    fit, valid = essays.iloc[:24], essays.iloc[24:32]
    settings = {k: v for k, v in TINY.items() if k != "max_steps"}
    cfg = TrainingConfig.from_params({**settings, "epochs": 4, "learning_rate": 3e-2}, seed=7)
    tuned = track1.fine_tune("empathy", fit, valid, cfg, tmp_path / "m")
    curve, best = tuned.training.validation_by_epoch, tuned.training.best_epoch
    assert best < len(curve) == 4 and abs(curve[best - 1] - curve[-1]) > 0.1
    saved = track1.load_fine_tuned(tmp_path / "m")
    predicted = embeddings.encode(saved, list(valid["essay"]), "mean", 64, 16, cfg.precision)[1].ravel()
    assert pearson(valid["empathy"], predicted, ndigits=None) == pytest.approx(curve[best - 1], abs=1e-3)


def test_the_erroneous_row_scores_the_empathy_regressor_on_the_distress_embedding(run_dir):
    from wassa_lib.scoring.scorer import pearson
    from wassa_lib.track1.table2 import erroneous_submission, own_embeddings, swap_embeddings

    embedded = run_dir["embedded"]
    frames = {
        split: feature_frame(run_dir[key], embedded[split].empathy, embedded[split].distress)
        for split, key in (("fit", "fit"), ("dev", "dev"))
    }

    def fit_one(feature_set: str, score: str):
        pipeline = feature_pipeline(make_regressor("ridge"), feature_set)
        return fit_and_score(pipeline, frames["fit"], {"dev": frames["dev"]})

    as_run = own_embeddings(fit_one, frames)
    measured = erroneous_submission(as_run, frames["dev"])
    wrong = as_run.pipeline["empathy"].predict(swap_embeddings(frames["dev"]))[:, 0]
    assert measured["empathy_erroneous"] == pearson(frames["dev"]["empathy"].to_numpy(dtype=float), wrong)
    assert measured["empathy_correct"] == as_run.scores["dev"]["empathy"]
    assert abs(measured["empathy_erroneous"] - measured["empathy_correct"]) > 1e-3
