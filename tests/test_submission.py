"""CodaLab submission files and the test-set tables."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from wassa_lib.evaluation import test_tables as evaluation
from wassa_lib.scoring import submission
from wassa_lib.scoring.scorer import emotion_scores


def test_files_have_no_header_tabs_and_input_order(tmp_path):
    scores = pd.DataFrame({"empathy": [1.5, 2.25, 7.0], "distress": [3.0, 1.0, 4.125]})
    archive = submission.write_submission(tmp_path, scores, ["joy", "anger", "sadness"], n_expected=3)
    assert (
        tmp_path / "predictions_EMP.tsv"
    ).read_text() == "1.500000\t3.000000\n2.250000\t1.000000\n7.000000\t4.125000\n"
    assert (tmp_path / "predictions_EMO.tsv").read_text() == "joy\nanger\nsadness\n"
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["predictions_EMO.tsv", "predictions_EMP.tsv"]
    assert submission.read_emo(tmp_path / "predictions_EMO.tsv") == ["joy", "anger", "sadness"]
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "predictions_EMP.tsv", sep="\t", header=None, names=["empathy", "distress"]), scores
    )


def test_wrong_row_count_or_label_is_refused(tmp_path):
    scores = pd.DataFrame({"empathy": [1.0, 2.0], "distress": [1.0, 2.0]})
    with pytest.raises(ValueError, match="2 empathy/distress predictions, but the test file has 3"):
        submission.write_submission(tmp_path, scores, ["joy"] * 3, n_expected=3)
    with pytest.raises(ValueError, match="unknown label.*love"):
        submission.write_submission(tmp_path, scores, ["joy", "love"], n_expected=2)
    with pytest.raises(ValueError, match="finite"):
        submission.write_emp(tmp_path / "x.tsv", [1.0, np.nan], [1.0, 2.0])


def test_emotion_table_point_estimates_are_the_official_scores():
    rng = np.random.default_rng(1)
    gold = rng.choice(["sadness", "anger", "fear", "joy"], size=200)
    pred = np.where(rng.random(200) < 0.5, gold, "sadness")
    table = evaluation.emotion_table(gold, pred, n_resamples=200).set_index("metric")
    official = emotion_scores(list(gold), list(pred))
    for metric in evaluation.EMOTION_METRICS:
        assert table.loc[metric, "ours"] == official[metric]
        assert table.loc[metric, "ci95_low"] <= official[metric] <= table.loc[metric, "ci95_high"]
    assert table.loc["macro_f1", "paper"] == 0.502 and table.loc["macro_f1", "best_in_task"] == 0.5528
