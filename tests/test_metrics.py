"""Tests for wassa_lib.scoring.scorer against hand-worked numbers and independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support, recall_score

from wassa_lib.scoring.scorer import bootstrap_ci, emotion_scores, macro_f1, pearson, track1_scores

EMOTIONS = ["sadness", "anger", "neutral", "fear", "surprise", "disgust", "joy"]


def _loop_pearson(x: list[float], y: list[float]) -> float:
    """Independent textbook Pearson with explicit left-to-right loops (no rounding)."""
    mx = 0.0
    for v in x:
        mx += v
    mx /= len(x)
    my = 0.0
    for v in y:
        my += v
    my /= len(y)
    sxy = sxx = syy = 0.0
    for a, b in zip(x, y):
        sxy += (a - mx) * (b - my)
        sxx += (a - mx) * (a - mx)
        syy += (b - my) * (b - my)
    den = math.sqrt(sxx * syy)
    return 0.0 if den == 0 else max(-1.0, min(1.0, sxy / den))


def _random_labels(rng: np.random.Generator, n: int, labels: list[str]) -> list[str]:
    return [labels[i] for i in rng.integers(0, len(labels), size=n)]


# --------------------------------------------------------------------------- Pearson


def test_pearson_hand_example() -> None:
    # x centred: -1, 0, 1; y centred: -4/3, 2/3, 2/3 -> sxy = 2, sxx = 2, syy = 8/3
    # r = 2 / sqrt(16/3) = sqrt(3)/2 = 0.866025... -> 0.866
    assert pearson([1, 2, 3], [1, 3, 3], ndigits=None) == pytest.approx(math.sqrt(3) / 2, abs=1e-15)
    assert pearson([1, 2, 3], [1, 3, 3]) == 0.866


def test_pearson_perfect_and_inverse() -> None:
    assert pearson([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]) == 1.0
    assert pearson([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]) == -1.0


def test_pearson_matches_numpy_corrcoef() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=525)
    y = 0.4 * x + rng.normal(size=525)
    expected = np.corrcoef(x, y)[0, 1]
    assert pearson(x, y, ndigits=None) == pytest.approx(expected, abs=1e-12)
    assert pearson(x, y) == round(float(expected), 4)


def test_pearson_bit_exact_against_loop_reimplementation() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.uniform(1, 7, size=200).round(4).tolist()
        y = (rng.uniform(1, 7, size=200) + np.asarray(x)).tolist()
        assert pearson(x, y, ndigits=None) == _loop_pearson(x, y)


def test_pearson_constant_input_is_zero_not_nan() -> None:
    assert pearson([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]) == 0.0
    assert pearson([2.0, 2.0], [1.0, 3.0]) == 0.0
    assert pearson([4.2], [1.0]) == 0.0


def test_pearson_rejects_bad_lengths() -> None:
    with pytest.raises(ValueError, match="length"):
        pearson([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        pearson([], [])


def test_track1_average_is_mean_of_rounded_values() -> None:
    gold_emp = [1.0, 2.0, 3.0]
    pred_emp = [1.0, 3.0, 3.0]  # r = 0.866025 -> 0.866
    gold_dis = [1.0, 2.0, 3.0, 4.0]
    pred_dis = [1.0, 2.0, 2.0, 4.0]
    # distress: x centred -1.5,-.5,.5,1.5; y mean 2.25 -> centred -1.25,-.25,-.25,1.75
    # sxy = 1.875+.125-.125+2.625 = 4.5, sxx = 5, syy = 1.5625+.0625+.0625+3.0625 = 4.75
    # r = 4.5 / sqrt(23.75) = 0.923380 -> 0.9234
    scores = track1_scores(gold_emp, gold_dis, pred_emp, pred_dis)
    assert scores["empathy"] == 0.866
    assert scores["distress"] == 0.9234
    assert scores["average"] == pytest.approx((0.866 + 0.9234) / 2, abs=1e-15)
    unrounded = track1_scores(gold_emp, gold_dis, pred_emp, pred_dis, ndigits=None)
    assert unrounded["distress"] == pytest.approx(4.5 / math.sqrt(23.75), abs=1e-15)
    assert unrounded["average"] == pytest.approx((math.sqrt(3) / 2 + 4.5 / math.sqrt(23.75)) / 2, abs=1e-15)


# --------------------------------------------------------------------------- Track 2


def test_emotion_label_never_predicted_has_precision_one() -> None:
    gold = ["joy", "joy", "anger", "fear"]
    pred = ["joy", "anger", "anger", "anger"]
    # joy:   tp1 fp0 fn1 -> P 1,        R .5,  F 2/3
    # anger: tp1 fp2 fn0 -> P 1/3,      R 1,   F .5
    # fear:  tp0 fp0 fn1 -> P 1 (never predicted), R 0, F 0
    s = emotion_scores(gold, pred, ndigits=None)
    assert s["macro_precision"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert s["macro_recall"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert s["per_class_f1"] == pytest.approx({"anger": 0.5, "fear": 0.0, "joy": 2 / 3})
    assert s["accuracy"] == 0.5
    assert s["micro_precision"] == s["micro_recall"] == s["micro_f1"] == 0.5
    rounded = emotion_scores(gold, pred)
    assert rounded["macro_precision"] == 0.7778
    assert rounded["macro_recall"] == 0.5
    assert rounded["macro_f1"] == 0.3889
    assert rounded["per_class_f1"] == {"anger": 0.5, "fear": 0.0, "joy": 0.6667}


def test_emotion_macro_f1_is_mean_of_per_label_f_not_harmonic_of_means() -> None:
    gold = ["joy", "joy", "anger", "fear"]
    pred = ["joy", "anger", "anger", "anger"]
    s = emotion_scores(gold, pred, ndigits=None)
    mp, mr = s["macro_precision"], s["macro_recall"]
    harmonic = 2 * mp * mr / (mp + mr)
    assert harmonic == pytest.approx(0.6087, abs=1e-4)
    assert s["macro_f1"] == pytest.approx(0.3889, abs=1e-4)


def test_emotion_label_predicted_but_absent_from_gold() -> None:
    gold = ["sadness", "sadness", "anger"]
    pred = ["sadness", "surprise", "anger"]
    # sadness:  tp1 fp0 fn1 -> P 1,  R .5, F 2/3
    # anger:    tp1 fp0 fn0 -> P 1,  R 1,  F 1
    # surprise: tp0 fp1 fn0 -> P 0,  R 0 (not in gold), F 0 -- still counted in the macro means
    s = emotion_scores(gold, pred, ndigits=None)
    assert set(s["per_class_f1"]) == {"sadness", "anger", "surprise"}
    assert s["macro_precision"] == pytest.approx(2 / 3)
    assert s["macro_recall"] == pytest.approx(0.5)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert s["accuracy"] == pytest.approx(2 / 3)
    assert emotion_scores(gold, pred)["macro_f1"] == 0.5556


def test_emotion_perfect_predictions() -> None:
    gold = ["joy", "fear", "anger", "joy", "neutral"]
    s = emotion_scores(gold, list(gold))
    for key in (
        "macro_f1",
        "micro_f1",
        "accuracy",
        "macro_precision",
        "micro_precision",
        "macro_recall",
        "micro_recall",
    ):
        assert s[key] == 1.0, key
    assert s["per_class_f1"] == {"anger": 1.0, "fear": 1.0, "joy": 1.0, "neutral": 1.0}


def test_emotion_all_wrong() -> None:
    gold = ["joy", "joy", "fear"]
    pred = ["fear", "anger", "joy"]
    # joy:   tp0 fp1 fn2 -> P 0, R 0; fear: tp0 fp1 fn1 -> P 0, R 0;
    # anger: tp0 fp1 fn0 -> P 0, R 0 -> everything 0
    s = emotion_scores(gold, pred)
    for key in (
        "macro_f1",
        "micro_f1",
        "accuracy",
        "macro_precision",
        "micro_precision",
        "macro_recall",
        "micro_recall",
    ):
        assert s[key] == 0.0, key


def test_emotion_all_wrong_with_unpredicted_label_keeps_precision_one() -> None:
    gold = ["joy", "joy"]
    pred = ["fear", "fear"]
    # joy never predicted -> P 1, R 0, F 0; fear: tp0 fp2 fn0 -> P 0, R 0 (absent from gold)
    s = emotion_scores(gold, pred)
    assert s["macro_precision"] == 0.5
    assert s["macro_recall"] == 0.0
    assert s["macro_f1"] == 0.0
    assert s["accuracy"] == 0.0


def test_emotion_micro_equals_accuracy_and_sklearn() -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        gold = _random_labels(rng, 300, EMOTIONS)
        pred = _random_labels(rng, 300, EMOTIONS[:5])  # some labels never predicted
        s = emotion_scores(gold, pred, ndigits=None)
        acc = accuracy_score(gold, pred)
        assert s["accuracy"] == pytest.approx(acc, abs=1e-15)
        assert s["micro_precision"] == pytest.approx(acc, abs=1e-15)
        assert s["micro_recall"] == pytest.approx(acc, abs=1e-15)
        assert s["micro_f1"] == pytest.approx(acc, abs=1e-15)


def test_emotion_macro_recall_and_f1_agree_with_sklearn_on_union_labels() -> None:
    rng = np.random.default_rng(4)
    for _ in range(10):
        gold = _random_labels(rng, 250, EMOTIONS[:6])  # 'joy' only ever predicted
        pred = _random_labels(rng, 250, EMOTIONS[1:])  # 'sadness' never predicted
        union = sorted(set(gold) | set(pred))
        s = emotion_scores(gold, pred, ndigits=None)
        assert s["macro_recall"] == pytest.approx(
            recall_score(gold, pred, labels=union, average="macro", zero_division=0), abs=1e-12
        )
        # Precision: sklearn's zero_division=1 is exactly the scorer's "never predicted -> 1.0".
        p, _, _, _ = precision_recall_fscore_support(gold, pred, labels=union, average=None, zero_division=1)
        assert s["macro_precision"] == pytest.approx(p.mean(), abs=1e-12)
        # Per-label F coincides with sklearn's whenever the label was predicted at least once
        # (for a never-predicted label both give F = 0 here, since its recall is 0 too).
        per_label = f1_score(gold, pred, labels=union, average=None, zero_division=0)
        ours = [s["per_class_f1"][lab] for lab in union]
        assert ours == pytest.approx(per_label.tolist(), abs=1e-12)
        assert s["macro_f1"] == pytest.approx(per_label.mean(), abs=1e-12)
        assert macro_f1(gold, pred, ndigits=None) == pytest.approx(per_label.mean(), abs=1e-12)


def test_macro_f1_helper_matches_emotion_scores() -> None:
    rng = np.random.default_rng(5)
    gold = _random_labels(rng, 525, EMOTIONS)
    pred = _random_labels(rng, 525, EMOTIONS)
    assert macro_f1(gold, pred) == emotion_scores(gold, pred)["macro_f1"]
    assert macro_f1(np.asarray(gold), np.asarray(pred)) == macro_f1(gold, pred)


def test_emotion_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        emotion_scores(["joy", "fear"], ["joy"])
    with pytest.raises(ValueError, match="empty"):
        emotion_scores([], [])
    with pytest.raises(ValueError, match="length"):
        macro_f1(["joy"], [])


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_constant_metric_has_zero_width() -> None:
    est, low, high = bootstrap_ci(lambda a: 0.25, np.arange(50), n_resamples=200)
    assert (est, low, high) == (0.25, 0.25, 0.25)


def test_bootstrap_mean_of_normal_sample() -> None:
    rng = np.random.default_rng(123)
    true_mean, sd, n = 5.0, 2.0, 2000
    sample = rng.normal(true_mean, sd, size=n)
    est, low, high = bootstrap_ci(np.mean, sample, n_resamples=2000, seed=11)
    assert est == pytest.approx(sample.mean(), abs=1e-12)
    assert low < est < high
    assert low < true_mean < high
    expected_width = 2 * 1.959964 * sample.std(ddof=1) / math.sqrt(n)
    assert high - low == pytest.approx(expected_width, rel=0.1)


def test_bootstrap_is_paired_and_seeded() -> None:
    x = np.arange(100, dtype=float)
    # Paired resampling keeps x == y row by row, so the difference is always exactly 0 and
    # the correlation always exactly 1.
    assert bootstrap_ci(lambda a, b: float(np.max(np.abs(a - b))), x, x.copy()) == (0.0, 0.0, 0.0)
    assert bootstrap_ci(pearson, x, 3 * x + 1, n_resamples=100) == (1.0, 1.0, 1.0)
    first = bootstrap_ci(np.mean, x, seed=3)
    assert bootstrap_ci(np.mean, x, seed=3) == first
    assert bootstrap_ci(np.mean, x, seed=4) != first


def test_bootstrap_confidence_widens_interval() -> None:
    x = np.random.default_rng(0).normal(size=300)
    _, low90, high90 = bootstrap_ci(np.mean, x, confidence=0.90)
    _, low99, high99 = bootstrap_ci(np.mean, x, confidence=0.99)
    assert low99 < low90 < high90 < high99


def test_bootstrap_macro_f1_brackets_estimate() -> None:
    rng = np.random.default_rng(9)
    gold = _random_labels(rng, 525, EMOTIONS)
    pred = [g if rng.random() < 0.6 else EMOTIONS[rng.integers(7)] for g in gold]
    est, low, high = bootstrap_ci(macro_f1, gold, pred, n_resamples=1000)
    assert est == macro_f1(gold, pred)
    assert low < est < high
    assert 0.0 < high - low < 0.2


def test_bootstrap_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length"):
        bootstrap_ci(lambda a, b: 0.0, [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_ci(lambda: 0.0)
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ci(np.mean, [])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(np.mean, [1.0, 2.0], confidence=1.0)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci(np.mean, [1.0, 2.0], n_resamples=0)
