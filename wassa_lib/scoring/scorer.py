"""Scoring functions that reproduce the WASSA 2021 shared-task CodaLab scorer.

Reference followed: the organisers' ``evaluation.py`` for the "Empathy shared
task at WASSA 2021" (R. Klinger; CodaLab adaptation by O. De Clercq, 2018;
multi-subtask version by V. Barriere, "January 2020 (python 3)"), as stored in
the public repository ``athrvkk/EACL-WASSA-2021-Empathy-Distress``, path
``evaluation.py``, commit ``37511907e0156392e80698693dccf25c54f2ae59``. The
same ``calculatePRF``/``pearsonr`` code is reused unchanged by the 2022 and
2023 scorers. Another stored copy of the 2021 script reads the *distress*
column (``k[1]``) for the empathy score too; that copy is a bug and is not
followed here.

Semantics of that scorer, reproduced below:

* Track 1: Pearson r computed by hand: centre both lists on their means,
  ``r = sum(xc*yc) / sqrt(sum(xc**2) * sum(yc**2))``; if the denominator is 0
  (a constant gold or prediction list) r is **0**, not nan; r is clipped to
  [-1, 1] and rounded to 4 decimals. The averaged score is
  ``(r_empathy + r_distress) / 2`` of the already rounded values and is not
  rounded again.
* Track 2: labels are the set of labels in gold *or* predictions. Per label,
  precision = tp/(tp+fp), or **1.0** when the label is never predicted;
  recall = tp/(tp+fn), or 0.0 when the label never occurs in gold; F is their
  harmonic mean, or 0.0 when P+R == 0. Macro P, R and F are arithmetic means
  of the per-label values (macro-F1 is the mean of per-label F, *not* the
  harmonic mean of macro P and macro R). Micro P = sum tp / (sum tp + sum fp),
  micro R = sum tp / (sum tp + sum fn), micro F their harmonic mean; for
  single-label data all three equal accuracy = sum tp / n. Every reported
  number is rounded with Python's ``round(x, 4)``.

The scorer's ``to_round = 4`` is the default ``ndigits`` here; pass
``ndigits=None`` for unrounded values. Sums run left to right, as the
scorer's plain ``sum`` did on the Python versions CodaLab ran (before 3.12), so
Pearson values match it to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike

OFFICIAL_NDIGITS = 4


class EmotionScores(TypedDict):
    """Track 2 scores as reported by the official scorer, plus per-label F1."""

    macro_f1: float
    micro_f1: float
    accuracy: float
    macro_precision: float
    micro_precision: float
    macro_recall: float
    micro_recall: float
    per_class_f1: dict[str, float]


def _round(value: float, ndigits: int | None) -> float:
    """Round like the scorer (Python's ``round``), or not at all if ``ndigits`` is None."""
    return float(value) if ndigits is None else round(float(value), ndigits)


def _sequential_sum(values: np.ndarray) -> float:
    """Left-to-right float sum (what a plain Python ``sum`` did before 3.12)."""
    return float(np.add.accumulate(values)[-1])


def _check_pair(gold: Sequence | np.ndarray, pred: Sequence | np.ndarray) -> None:
    """Raise ValueError unless gold and pred are non-empty and equally long."""
    if len(gold) != len(pred):
        raise ValueError(f"gold and predictions differ in length: {len(gold)} != {len(pred)}")
    if len(gold) == 0:
        raise ValueError("gold and predictions are empty")


def pearson(gold: ArrayLike, pred: ArrayLike, ndigits: int | None = OFFICIAL_NDIGITS) -> float:
    """Pearson r as the official scorer computes it (0.0 when either side is constant)."""
    x = np.asarray(gold, dtype=float).ravel()
    y = np.asarray(pred, dtype=float).ravel()
    _check_pair(x, y)
    xc = x - _sequential_sum(x) / len(x)
    yc = y - _sequential_sum(y) / len(y)
    denominator = np.sqrt(_sequential_sum(xc * xc) * _sequential_sum(yc * yc))
    r = _sequential_sum(xc * yc) / denominator if denominator else 0.0
    return _round(max(min(r, 1.0), -1.0), ndigits)


def track1_scores(
    gold_empathy: ArrayLike,
    gold_distress: ArrayLike,
    pred_empathy: ArrayLike,
    pred_distress: ArrayLike,
    ndigits: int | None = OFFICIAL_NDIGITS,
) -> dict[str, float]:
    """Empathy r, distress r and their mean (the mean of the rounded values, unrounded)."""
    empathy = pearson(gold_empathy, pred_empathy, ndigits)
    distress = pearson(gold_distress, pred_distress, ndigits)
    return {"empathy": empathy, "distress": distress, "average": (empathy + distress) / 2}


def _label_counts(
    gold: Sequence[str] | np.ndarray, pred: Sequence[str] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted union of labels and per-label tp, predicted and gold counts."""
    _check_pair(gold, pred)
    gold_arr = np.asarray(gold)
    pred_arr = np.asarray(pred)
    labels, codes = np.unique(np.concatenate([gold_arr, pred_arr]), return_inverse=True)
    n = len(gold_arr)
    gold_codes, pred_codes = codes[:n], codes[n:]
    k = len(labels)
    tp = np.bincount(gold_codes[gold_codes == pred_codes], minlength=k)
    return labels, tp, np.bincount(pred_codes, minlength=k), np.bincount(gold_codes, minlength=k)


def _per_label_prf(tp: np.ndarray, n_pred: np.ndarray, n_gold: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label P (1.0 if never predicted), R (0.0 if absent from gold) and F."""
    precision = np.divide(tp, n_pred, out=np.ones(len(tp)), where=n_pred > 0)
    recall = np.divide(tp, n_gold, out=np.zeros(len(tp)), where=n_gold > 0)
    p_plus_r = precision + recall
    f = np.divide(2 * precision * recall, p_plus_r, out=np.zeros(len(tp)), where=p_plus_r > 0)
    return precision, recall, f


def emotion_scores(gold: Sequence[str], pred: Sequence[str], ndigits: int | None = OFFICIAL_NDIGITS) -> EmotionScores:
    """Track 2 macro/micro P, R, F1, accuracy and per-label F1, with the scorer's semantics."""
    labels, tp, n_pred, n_gold = _label_counts(gold, pred)
    precision, recall, f = _per_label_prf(tp, n_pred, n_gold)
    tp_sum = tp.sum()
    fp_sum = n_pred.sum() - tp_sum
    fn_sum = n_gold.sum() - tp_sum
    micro_p = tp_sum / (tp_sum + fp_sum)
    micro_r = tp_sum / (tp_sum + fn_sum)
    micro_f = 0.0 if micro_p + micro_r == 0 else 2 * micro_p * micro_r / (micro_p + micro_r)
    return {
        "macro_f1": _round(f.mean(), ndigits),
        "micro_f1": _round(micro_f, ndigits),
        "accuracy": _round(tp_sum / len(gold), ndigits),
        "macro_precision": _round(precision.mean(), ndigits),
        "micro_precision": _round(micro_p, ndigits),
        "macro_recall": _round(recall.mean(), ndigits),
        "micro_recall": _round(micro_r, ndigits),
        "per_class_f1": {str(lab): _round(v, ndigits) for lab, v in zip(labels, f)},
    }


def macro_f1(gold: Sequence[str], pred: Sequence[str], ndigits: int | None = OFFICIAL_NDIGITS) -> float:
    """Official macro-F1 only (the Track 2 ranking metric); cheaper than ``emotion_scores``."""
    _, tp, n_pred, n_gold = _label_counts(gold, pred)
    return _round(_per_label_prf(tp, n_pred, n_gold)[2].mean(), ndigits)


def bootstrap_ci(
    metric_fn: Callable[..., float],
    *arrays: ArrayLike,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap over rows: (estimate on the full data, low, high).

    All arrays are resampled with the same row indices (paired bootstrap); the
    indices for every resample are drawn at once from
    ``numpy.random.default_rng(seed)``. ``metric_fn`` receives the resampled
    arrays as numpy arrays, positionally, and returns a float. The bounds are
    the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the
    resampled metric (numpy's default linear interpolation).
    """
    if not arrays:
        raise ValueError("bootstrap_ci needs at least one array")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    data = [np.asarray(a) for a in arrays]
    n = len(data[0])
    if n == 0:
        raise ValueError("cannot bootstrap empty arrays")
    if any(len(a) != n for a in data):
        raise ValueError(f"all arrays must have the same length, got {[len(a) for a in data]}")
    estimate = float(metric_fn(*data))
    indices = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    stats = np.fromiter((metric_fn(*(a[idx] for a in data)) for idx in indices), dtype=float, count=n_resamples)
    alpha = 1 - confidence
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return estimate, float(low), float(high)
