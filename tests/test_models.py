"""Model resolution: tiny random models, the packaged MiniLM, local directories, the hub failing fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from transformers import AutoModel, AutoModelForSeq2SeqLM

from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.hf import models
from wassa_lib.hf.models import ModelSpecError, load_model

CORPUS = ["the story made me sad and worried", "an angry reader wrote about the article"] * 5


def test_tiny_tokenizer_keeps_each_label_one_token():
    tok = models.train_wordpiece(CORPUS)
    for label in EMOTIONS:
        ids = tok(label, add_special_tokens=False)["input_ids"]
        assert tok.convert_ids_to_tokens(ids) == [label]
    assert tok("sad")["input_ids"][-1] == tok.eos_token_id == tok.sep_token_id


def test_tiny_encoder_sized_by_tokenizer_and_head():
    model, tok = load_model(models.TINY_ENCODER, "regression", corpus=CORPUS)
    assert model.config.vocab_size == len(tok)
    assert model.config.problem_type == "regression" and model.num_labels == 1
    out = model(**tok(["sad story"], return_tensors="pt"))
    assert out.logits.shape == (1, 1)
    clf, _ = load_model(models.TINY_ENCODER, "classification", corpus=CORPUS)
    assert clf.num_labels == len(EMOTIONS) and clf.config.problem_type == "multi_label_classification"


def test_tiny_seq2seq_learns_a_two_token_target():
    model, tok = load_model(models.TINY_SEQ2SEQ, "seq2seq", corpus=CORPUS)
    assert model.config.decoder_start_token_id == tok.pad_token_id
    labels = tok(["sadness"], add_special_tokens=False)["input_ids"][0] + [tok.eos_token_id]
    assert len(labels) == 2
    enc = tok(["the story made me sad"], return_tensors="pt")
    loss = model(**enc, labels=torch.tensor([labels])).loss
    assert torch.isfinite(loss)


def test_tiny_models_are_seeded():
    a, _ = load_model(models.TINY_ENCODER, "regression", corpus=CORPUS, seed=3)
    b, _ = load_model(models.TINY_ENCODER, "regression", corpus=CORPUS, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))


def test_tokenizer_vocabulary_is_built_deterministically():
    corpus = ["zebra apple apple", "mango zebra kiwi"]
    vocab = models.train_wordpiece(corpus, vocab_size=10_000).get_vocab()
    assert vocab == models.train_wordpiece(list(corpus), vocab_size=10_000).get_vocab()
    words = sorted((vocab[w], w) for w in ("apple", "zebra", "kiwi", "mango"))
    assert [w for _, w in words] == ["apple", "zebra", "kiwi", "mango"]  # by frequency, ties alphabetical
    small = models.train_wordpiece(corpus, vocab_size=1).get_vocab()
    assert "apple" not in small and "##e" in small and "sadness" in small
    assert models.train_wordpiece(corpus, vocab_size=1).tokenize("apple") == ["a", "##p", "##p", "##l", "##e"]


def test_tokenizer_vocabulary_is_the_same_in_another_process():
    code = (
        "import json, sys; from wassa_lib.hf.models import train_wordpiece; "
        "print(json.dumps(train_wordpiece(json.loads(sys.argv[1]), 70).get_vocab(), sort_keys=True))"
    )
    corpus = CORPUS + ["zebras and lions and tigers", "the flood took everything we owned"]
    other = subprocess.run(
        [sys.executable, "-c", code, json.dumps(corpus)], capture_output=True, text=True, check=True
    ).stdout  # another process: another string-hash seed
    assert json.loads(other) == models.train_wordpiece(corpus, 70).get_vocab() and len(json.loads(other)) == 70


@pytest.mark.parametrize(
    "name, millions",
    [("bert-base-uncased", 110), ("albert-base-v2", 11.7), ("t5-base", 223), ("google/pegasus-xsum", 570)],
)
def test_random_init_shapes_have_the_published_sizes(name, millions):
    tok = models.train_wordpiece(CORPUS)
    config = models.shape_config(name, tok)
    auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModel
    with torch.device("meta"):
        model = auto.from_config(config)
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(millions, rel=0.02)
    assert config.pad_token_id == tok.pad_token_id


def test_random_init_model_trains_offline_with_its_own_tokenizer():
    model, tok = load_model("random-init:albert-base-v2", "regression", corpus=CORPUS)
    assert model.config.hidden_size == 768 and model.config.vocab_size == 30000 and len(tok) <= 30000
    loss = model(**tok(["sad story"], return_tensors="pt"), labels=torch.tensor([0.5])).loss
    assert torch.isfinite(loss)
    with pytest.raises(ModelSpecError, match="no shape known for 'roberta-large'; known: bert-base-uncased"):
        load_model("random-init:roberta-large", "regression", corpus=CORPUS)
    with pytest.raises(ModelSpecError, match="is an encoder; use a seq2seq shape such as 'random-init:t5-base'"):
        load_model("random-init:albert-base-v2", "seq2seq", corpus=CORPUS)


def test_wrong_task_for_spec_is_explained():
    with pytest.raises(ModelSpecError, match="encoder-decoder:tiny-encoder|tiny-seq2seq"):
        load_model(models.TINY_ENCODER, "seq2seq", corpus=CORPUS)
    with pytest.raises(ModelSpecError, match="needs an encoder"):
        load_model(models.TINY_SEQ2SEQ, "classification", corpus=CORPUS)


def test_local_directory_round_trip(tmp_path):
    model, tok = load_model(models.TINY_ENCODER, "classification", corpus=CORPUS)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    again, tok2 = load_model(str(tmp_path), "classification")
    assert tok2("sadness")["input_ids"] == tok("sadness")["input_ids"]
    assert torch.equal(again.classifier.weight, model.classifier.weight)


def test_missing_local_directory():
    with pytest.raises(ModelSpecError, match="no such directory"):
        load_model("./no/such/model", "regression")


def test_packaged_minilm_loads_offline():
    model, tok = load_model(models.PACKAGED_MINILM, "regression")
    assert model.config.hidden_size == 384 and model.config.problem_type == "regression"
    for label in EMOTIONS:
        assert len(tok(label, add_special_tokens=False)["input_ids"]) == 1


def test_unreachable_hub_fails_fast_naming_spec_and_profiles(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelSpecError) as err:
        load_model("someone/not-cached-model", "classification")
    assert "someone/not-cached-model" in str(err.value) and "--profile cpu" in str(err.value)
