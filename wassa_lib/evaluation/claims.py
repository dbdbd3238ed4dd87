"""A verdict on each of the paper's claims: the mean difference over seeds, its interval, and the paper's own effect.

A claim compares two systems, a and b, on held-out essays with gold: dev for Track 1 (its test gold was
never released), dev and test together for Track 2 where every row predicted test (no choice reads test).
The row reports the mean over seeds of ``score(a) - score(b)``. Its 95% interval comes from a two-level
paired bootstrap: each resample draws the seeds with replacement, then the essays (within dev and within
test) once, shared by every seed drawn and by both systems, and takes the mean difference over the seeds
drawn. It covers the seed-to-seed variation of training and the finite essay sample, and narrows as seeds
are added; the former interval (every seed's essay resamples pooled: the spread of *one* run's difference)
is kept beside it as ``pooled_width``.

Two verdicts: the sign (*supported* where the interval lies above 0, *contradicted* below 0, else *not
decided*) and, where the paper prints both numbers, the size against the paper's difference (*smaller than
the paper's* where the interval lies below it, *larger* above it, else *as the paper's*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "not decided"
SMALLER, AS_PAPER, LARGER = "smaller than the paper's", "as the paper's", "larger than the paper's"
NO_PAPER_NUMBER = "the paper prints no number"
CONFIDENCE = 0.95


@dataclass
class Comparison:
    """Two systems' predictions on the same essays in every seed, and how to score them.

    ``split`` names each essay's split ("dev" or "test"): the same essays, in the same order, in every seed.
    ``paper_effect`` is the paper's own difference where it prints both numbers.
    """

    claim: str
    track: str
    system_a: str
    system_b: str
    metric: str
    gold: dict[int, np.ndarray]
    a: dict[int, np.ndarray]
    b: dict[int, np.ndarray]
    score: Callable[[np.ndarray, np.ndarray], float]
    split: np.ndarray
    paper_effect: float | None = None

    def difference(self, seed: int, idx: np.ndarray | slice = slice(None)) -> float:
        gold = self.gold[seed][idx]
        return self.score(gold, self.a[seed][idx]) - self.score(gold, self.b[seed][idx])


def _essay_resample(split: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn with replacement within each split, so each resample keeps the dev/test sizes."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(split == part), size=int((split == part).sum())) for part in dict.fromkeys(split)]
    )


def quantile_interval(values: np.ndarray | list[float]) -> tuple[float, float]:
    """The central 95% of ``values``."""
    low, high = np.quantile(values, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return float(low), float(high)


def two_level_interval(comparison: Comparison, n_resamples: int, seed: int = 0) -> tuple[float, float]:
    """The 95% interval of the mean difference over seeds: seeds drawn, then essays shared by the seeds drawn."""
    rng = np.random.default_rng(seed)
    seeds = np.array(list(comparison.gold))
    means = []
    for _ in range(n_resamples):
        drawn = rng.choice(seeds, size=len(seeds))
        idx = _essay_resample(comparison.split, rng)
        means.append(np.mean([comparison.difference(int(s), idx) for s in drawn]))
    return quantile_interval(means)


def pooled_width(comparison: Comparison, n_resamples: int, seed: int = 0) -> float:
    """The width of the former interval: every seed's paired essay resamples pooled into one distribution."""
    rng = np.random.default_rng(seed)
    per_seed = max(1, n_resamples // len(comparison.gold))
    pooled = [
        comparison.difference(s, _essay_resample(comparison.split, rng))
        for s in comparison.gold
        for _ in range(per_seed)
    ]
    low, high = quantile_interval(pooled)
    return high - low


def sign_verdict(low: float, high: float) -> str:
    return SUPPORTED if low > 0 else CONTRADICTED if high < 0 else UNDECIDED


def size_verdict(low: float, high: float, paper: float | None) -> str:
    if paper is None or np.isnan(paper):
        return NO_PAPER_NUMBER
    return SMALLER if high < paper else LARGER if low > paper else AS_PAPER


def _split_mean(comparison: Comparison, part: str) -> float:
    idx = np.flatnonzero(comparison.split == part)
    if len(idx) == 0:
        return np.nan
    return round(float(np.mean([comparison.difference(s, idx) for s in comparison.gold])), 4)


def verdict(comparison: Comparison, n_resamples: int = 1000, seed: int = 0) -> dict:
    """One row of ``claims.csv``."""
    point = [comparison.difference(s) for s in comparison.gold]
    low, high = two_level_interval(comparison, n_resamples, seed)
    parts = list(dict.fromkeys(comparison.split))
    paper = np.nan if comparison.paper_effect is None else round(comparison.paper_effect, 4)
    return {
        "claim": comparison.claim,
        "track": comparison.track,
        "system_a": comparison.system_a,
        "system_b": comparison.system_b,
        "metric": comparison.metric,
        "evidence": " + ".join(f"{p} ({int((comparison.split == p).sum())} essays)" for p in parts),
        "seeds": len(point),
        "mean_difference_dev": _split_mean(comparison, "dev"),
        "mean_difference_test": _split_mean(comparison, "test"),
        "mean_difference": round(float(np.mean(point)), 4),
        "sd_over_seeds": round(float(np.std(point, ddof=1)), 4) if len(point) > 1 else np.nan,
        "ci95_low": round(float(low), 4),
        "ci95_high": round(float(high), 4),
        "pooled_width": round(pooled_width(comparison, n_resamples, seed), 4),
        "paper_difference": paper,
        "verdict": sign_verdict(low, high),
        "size_verdict": size_verdict(low, high, paper),
    }


def claims(comparisons: list[Comparison], n_resamples: int = 1000) -> pd.DataFrame:
    """``claims.csv``: one row per claim of the paper."""
    return pd.DataFrame([verdict(c, n_resamples) for c in comparisons])
