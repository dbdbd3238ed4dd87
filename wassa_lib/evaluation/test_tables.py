"""Test-set tables with bootstrap intervals (paper Tables 3 and 5)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.scoring import paper
from wassa_lib.scoring.scorer import bootstrap_ci, emotion_scores, pearson, track1_scores

EMOTION_METRICS = (
    "macro_f1",
    "micro_f1",
    "accuracy",
    "macro_precision",
    "micro_precision",
    "macro_recall",
    "micro_recall",
)


def emotion_table(gold: Sequence[str], pred: Sequence[str], n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Table 5: the seven official metrics with 95% bootstrap intervals, beside the paper's and the task's best."""
    gold, pred = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    scores = emotion_scores(list(gold), list(pred))
    rows = []
    for metric in EMOTION_METRICS:
        _, low, high = bootstrap_ci(
            lambda g, p, m=metric: emotion_scores(list(g), list(p), ndigits=None)[m],
            gold,
            pred,
            n_resamples=n_resamples,
            seed=seed,
        )
        rows.append(
            {
                "metric": metric,
                "ours": scores[metric],
                "ci95_low": round(low, 4),
                "ci95_high": round(high, 4),
                "paper": paper.TABLE5[metric],
                "best_in_task": paper.TABLE5_BEST_IN_TASK.get(metric, np.nan),
            }
        )
    return pd.DataFrame(rows)


def track1_table(gold: pd.DataFrame, pred: pd.DataFrame, n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Table 3: Pearson for empathy, distress and their average with 95% bootstrap intervals."""
    arrays = [
        gold["empathy"].to_numpy(float),
        gold["distress"].to_numpy(float),
        pred["empathy"].to_numpy(float),
        pred["distress"].to_numpy(float),
    ]

    def average(ge, gd, pe, pd_):
        return (pearson(ge, pe, ndigits=None) + pearson(gd, pd_, ndigits=None)) / 2

    metrics = {
        "empathy": lambda ge, gd, pe, pd_: pearson(ge, pe, ndigits=None),
        "distress": lambda ge, gd, pe, pd_: pearson(gd, pd_, ndigits=None),
        "average": average,
    }
    official = track1_scores(*arrays[:2], *arrays[2:])
    rows = []
    for name, fn in metrics.items():
        _, low, high = bootstrap_ci(fn, *arrays, n_resamples=n_resamples, seed=seed)
        rows.append(
            {
                "metric": name,
                "ours": official[name],
                "ci95_low": round(low, 4),
                "ci95_high": round(high, 4),
                "paper": paper.TABLE3[name],
                "best_in_task": paper.TABLE3_BEST_IN_TASK[name],
            }
        )
    return pd.DataFrame(rows)


def save_test_metrics(run_dir: Path, table5: pd.DataFrame, table3: pd.DataFrame | None = None) -> dict:
    """Notebook 05's record, ``metrics/05_test.json``: this kit's test score of every Table-5 metric and, where
    the test gold has scores, ``pearson_<metric>`` of every Table-3 row; returns what it wrote."""
    from wassa_lib.scoring.tables import save_metrics

    metrics = {row.metric: row.ours for row in table5.itertuples()}
    if table3 is not None:
        metrics.update({f"pearson_{row.metric}": row.ours for row in table3.itertuples()})
    save_metrics(metrics, run_dir, "05_test")
    return metrics
