"""The CARER loader: frames in the WASSA column names, and one-line errors naming file, line and column."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wassa_lib.data.carer import CARER_LABELS, load_carer, read_carer_file
from wassa_lib.data.wassa import DataError

REAL_CARER = [
    os.environ.get("CARER_DATA_DIR"),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "emotion_carer",
]


def _write(tmp_path: Path, train: str, val: str = "i feel fine;joy\n", test: str = "i feel fine;joy\n") -> Path:
    for name, text in (("train.txt", train), ("val.txt", val), ("test.txt", test)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_mock_files_load_with_the_six_labels(mock_carer):
    carer = load_carer(mock_carer)
    assert [len(carer.train), len(carer.val), len(carer.test)] == [200, 40, 40]
    assert list(carer.train.columns) == ["essay", "emotion"]
    assert set(carer.train["emotion"]) == set(CARER_LABELS)
    assert carer.train["essay"].str.len().gt(0).all()


def test_the_last_semicolon_separates_the_label(tmp_path):
    df = read_carer_file(_write(tmp_path, "i feel torn; really torn;sadness\n\ni am glad;joy\n") / "train.txt")
    assert df.to_dict("records") == [
        {"essay": "i feel torn; really torn", "emotion": "sadness"},
        {"essay": "i am glad", "emotion": "joy"},
    ]


@pytest.mark.parametrize(
    "train, expected",
    [
        ("i feel fine;joy\ni feel nothing at all\n", r"train\.txt: line 2: expected 'text;label'"),
        ("i feel fine;joy\n;anger\n", r"train\.txt: line 2: expected 'text;label'"),
        ("i feel fine;joy\ni feel meh;neutral\n", r"train\.txt: line 2, column label: unknown label 'neutral'"),
        ("\n\n", r"train\.txt: file is empty"),
    ],
)
def test_a_bad_line_is_named_in_one_line(tmp_path, train, expected):
    _write(tmp_path, train)
    with pytest.raises(DataError, match=expected) as err:
        load_carer(tmp_path)
    assert "\n" not in str(err.value)


def test_a_missing_file_lists_what_was_found(tmp_path):
    (tmp_path / "train.txt").write_text("i feel fine;joy\n", encoding="utf-8")
    (tmp_path / "validation.txt").write_text("i feel fine;joy\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"val\.txt: file not found; found instead: train\.txt, validation\.txt"):
        load_carer(tmp_path)


def test_a_missing_directory_says_how_to_point_at_one(tmp_path):
    with pytest.raises(DataError, match="CARER_DATA_DIR or the carer_dir parameter"):
        load_carer(tmp_path / "nowhere")


def test_the_real_files_when_present():
    found = next((Path(p) for p in REAL_CARER if p and (Path(p) / "train.txt").is_file()), None)
    if found is None:
        pytest.skip("CARER files not found: set CARER_DATA_DIR")
    carer = load_carer(found)
    assert [len(carer.train), len(carer.val), len(carer.test)] == [16000, 2000, 2000]
    assert carer.train["emotion"].value_counts().to_dict() == {
        "joy": 5362,
        "sadness": 4666,
        "anger": 2159,
        "fear": 1937,
        "love": 1304,
        "surprise": 572,
    }
