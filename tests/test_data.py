"""The data layer: both released layouts, the normalised schema, every bad-input error, the split."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wassa_lib.data import wassa as data
from wassa_lib.data.wassa import DataError, load_splits, train_validation_split


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    return dst


def _edit(path: Path, line: int, column: str | int, value: str, header: bool = True) -> None:
    """Set one cell of a TSV file (``line`` is the 1-based file line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[line - 1].split("\t")
    index = lines[0].split("\t").index(column) if header else column
    fields[index] = value
    lines[line - 1] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("layout", ["2021", "2022"])
def test_both_layouts_give_the_same_schema(layout, mock_2021, mock_2022):
    splits = load_splits(mock_2021 if layout == "2021" else mock_2022)
    for name in data.SPLITS:
        assert list(splits[name].columns) == data.SCHEMA
    assert splits.dev[data.PERSON_FEATURES + data.SCORES].notna().all().all()
    assert set(splits.dev["emotion"]) <= set(data.EMOTIONS)
    assert splits.test["empathy"].isna().all()  # no test EMP gold was supplied
    assert splits.test["emotion"].notna().all()  # the released test EMO gold


def test_layouts_agree_row_by_row(mock_2021, mock_2022):
    a, b = load_splits(mock_2021).dev, load_splits(mock_2022).dev
    pd.testing.assert_frame_equal(a, b)


def test_2022_dev_personality_comes_from_gold_by_row(mock_2022):
    gold = pd.read_csv(mock_2022 / "goldstandard_dev_2022.tsv", sep="\t", header=None)
    dev = load_splits(mock_2022).dev
    assert np.array_equal(dev["personality_openess"].to_numpy(), gold[4].to_numpy())
    assert np.array_equal(dev["iri_empathatic_concern"].to_numpy(), gold[11].to_numpy())
    assert list(dev["emotion"]) == list(gold[2])


def test_test_emp_gold_is_read_when_supplied(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    n = len(pd.read_csv(root / data.TEST_FEATURE_FILE, sep="\t"))
    pd.DataFrame({"empathy": np.linspace(1, 7, n), "distress": np.linspace(7, 1, n)}).to_csv(
        root / data.TEST_EMP_GOLD_FILE, sep="\t", index=False, header=False
    )
    test = load_splits(root).test
    assert data.has_test_scores(test)
    assert test["empathy"].iloc[-1] == 7.0


def test_missing_file_names_what_was_found(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    (root / data.TRAIN_FILE).rename(root / "train.tsv")
    with pytest.raises(
        DataError, match=r"messages_train_ready_for_WS\.tsv: file not found; found instead: .*train\.tsv"
    ):
        load_splits(root)


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="data directory not found"):
        load_splits(tmp_path / "nowhere")


def test_missing_column(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    train = pd.read_csv(root / data.TRAIN_FILE, sep="\t").drop(columns=["distress"])
    train.to_csv(root / data.TRAIN_FILE, sep="\t", index=False)
    with pytest.raises(DataError, match=r"messages_train_ready_for_WS\.tsv: missing column\(s\) distress"):
        load_splits(root)


def test_gold_feature_row_count_mismatch(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    gold = root / "goldstandard_dev_2022.tsv"
    gold.write_text("\n".join(gold.read_text().splitlines()[:-3]) + "\n")
    with pytest.raises(DataError, match=r"goldstandard_dev_2022\.tsv: 47 rows, but .* has 50"):
        load_splits(root)


def test_unknown_emotion_label(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    _edit(root / data.TRAIN_FILE, 5, "emotion", "happiness")
    with pytest.raises(DataError, match=r"line 5, column emotion: unknown label 'happiness'"):
        load_splits(root)


def test_unknown_emotion_in_headerless_gold(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    _edit(root / "goldstandard_dev_2022.tsv", 3, 2, "love", header=False)
    with pytest.raises(DataError, match=r"goldstandard_dev_2022\.tsv: line 3, column emotion: unknown label 'love'"):
        load_splits(root)


def test_non_numeric_score(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    _edit(root / data.TRAIN_FILE, 7, "empathy", "high")
    with pytest.raises(DataError, match=r"line 7, column empathy: expected a number, found 'high'"):
        load_splits(root)


def test_empty_essay(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    _edit(root / data.TEST_FEATURE_FILE, 4, "essay", "  ")
    with pytest.raises(DataError, match=r"messages_test_features_ready_for_WS\.tsv: line 4, column essay: empty essay"):
        load_splits(root)


def test_gold_with_wrong_width(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    gold = root / "goldstandard_dev_2022.tsv"
    gold.write_text("\n".join("\t".join(lab.split("\t")[:5]) for lab in gold.read_text().splitlines()) + "\n")
    with pytest.raises(DataError, match=r"5 columns; expected 3 .* or 12"):
        load_splits(root)


def test_errors_are_one_line(mock_2022, tmp_path):
    root = _copy(mock_2022, tmp_path)
    _edit(root / data.TRAIN_FILE, 2, "distress", "")
    with pytest.raises(DataError) as err:
        load_splits(root)
    assert "\n" not in str(err.value)


def test_split_is_stratified_seeded_and_disjoint(mock_2022):
    train = load_splits(mock_2022).train
    fit, valid = train_validation_split(train, 0.2, seed=7)
    again, _ = train_validation_split(train, 0.2, seed=7)
    assert len(valid) == 28 and len(fit) == 112
    assert set(fit["message_id"]).isdisjoint(valid["message_id"])
    assert list(fit["message_id"]) == list(again["message_id"])
    share = train["emotion"].value_counts(normalize=True)
    assert (valid["emotion"].value_counts(normalize=True) - share).abs().max() < 0.08


def test_subsample_keeps_labels_and_size(mock_2022):
    train = load_splits(mock_2022).train
    small = data.subsample(train, 30)
    assert len(small) == 30
    assert small["emotion"].nunique() >= 5
    assert data.subsample(train, None) is train


@pytest.mark.realdata
def test_real_train_counts_match_the_paper(real_data_dir):
    splits = load_splits(real_data_dir)
    counts = splits.train["emotion"].value_counts().to_dict()
    assert counts == {
        "sadness": 647,
        "anger": 349,
        "neutral": 275,
        "fear": 194,
        "surprise": 164,
        "disgust": 149,
        "joy": 82,
    }
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (1860, 270, 525)


@pytest.mark.realdata
def test_real_dev_2022_carries_every_feature_aligned_with_gold(real_data_dir):
    dev = load_splits(real_data_dir).dev
    assert dev[data.PERSON_FEATURES + data.SCORES + ["emotion"]].notna().all().all()
    gold = pd.read_csv(real_data_dir / "goldstandard_dev_2022.tsv", sep="\t", header=None)
    assert np.allclose(dev["empathy"], gold[0]) and np.allclose(dev["iri_fantasy"], gold[10])
    assert dev["message_id"].iloc[0] == "R_3QLVVnAgRBRH41U_1"
    assert dev["emotion"].value_counts()["sadness"] == 98
