"""Floors without fine-tuning, for both tracks: what bag-of-words and the frozen pre-trained encoder give.

Track 2: TF-IDF + logistic regression, and the profile's encoder frozen (mean-pooled) + logistic
regression. Track 1: the frozen encoder (mean-pooled) + ridge (the TF-IDF + ridge floor is in
:mod:`wassa_lib.track1.table2`). Each floor's regularisation is chosen on the validation split, from
the same small grid for all, and is fitted on the fit split only.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.linalg import LinAlgWarning
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from wassa_lib.data.wassa import SCORES
from wassa_lib.hf.models import load_model
from wassa_lib.hf.training import sorted_batches
from wassa_lib.scoring.scorer import emotion_scores, macro_f1, track1_scores

C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
ALPHA_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass
class Floor:
    """One floor: its name, the regularisation validation chose, and its predictions and scores."""

    name: str
    setting: str
    valid_score: float
    predictions: dict[str, np.ndarray]
    scores: dict
    seconds: float = 0.0


@torch.inference_mode()
def frozen_embeddings(
    model_spec: str,
    texts: Sequence[str],
    max_length: int = 256,
    batch_size: int = 64,
    corpus: Sequence[str] | None = None,
) -> np.ndarray:
    """Mean-pooled last hidden states of the pre-trained encoder ``model_spec``, no fine-tuning."""
    model, tokenizer = load_model(model_spec, "embedding", corpus=corpus if corpus is not None else texts)
    model.eval()
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    for rows, batch in sorted_batches(tokenizer, texts, max_length, batch_size, model.device):
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        out[rows] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)).float().cpu().numpy()
    return out


def choose_on_validation(make, grid, fit_x, fit_y, valid_x, valid_score) -> tuple[Pipeline, float, float]:
    """The estimator of ``grid`` with the best validation score, fitted on the fit part.

    The grid's weakest regularisation fits ill-conditioned systems (a few hundred correlated embedding
    dimensions; scipy's ``LinAlgWarning``) or stops at its iteration cap (``ConvergenceWarning``): both are
    expected at that end of the grid, which validation then scores like any other point, so they are silenced."""
    best = None
    for value in grid:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=LinAlgWarning)
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            estimator = make(value).fit(fit_x, fit_y)
        score = valid_score(estimator.predict(valid_x))
        if best is None or score > best[2]:
            best = (estimator, value, score)
    return best


def majority_floor(
    fit: pd.DataFrame, valid: pd.DataFrame, dev: pd.DataFrame, test: pd.DataFrame | None = None
) -> Floor:
    """Always the most frequent emotion of the fit part (about 0.08 macro-F1 under the official scorer);
    with ``test``, its test predictions too."""
    label = fit["emotion"].mode()[0]
    predicted = np.array([label] * len(dev))
    held_out = {"dev": dev} if test is None else {"dev": dev, "test": test}
    return Floor(
        name="majority class",
        setting=f"always {label}",
        valid_score=macro_f1(valid["emotion"].to_numpy(), np.array([label] * len(valid))),
        predictions={split: np.array([label] * len(frame)) for split, frame in held_out.items()},
        scores=emotion_scores(dev["emotion"], predicted),
    )


def emotion_floors(
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    dev: pd.DataFrame,
    encoder: str,
    max_length: int = 256,
    seed: int = 42,
    test: pd.DataFrame | None = None,
) -> list[Floor]:
    """Track 2's floors: TF-IDF + logistic regression and frozen ``encoder`` + logistic regression, C chosen
    on the validation macro-F1; with ``test``, their test predictions too (test gold is never read)."""
    floors = []
    tfidf = lambda c: make_pipeline(
        TfidfVectorizer(min_df=2, sublinear_tf=True),  # noqa: E731
        LogisticRegression(C=c, max_iter=2000, random_state=seed),
    )
    parts = {"fit": fit, "valid": valid, "dev": dev, **({} if test is None else {"test": test})}
    texts = {name: frame["essay"].tolist() for name, frame in parts.items()}
    inputs = {"TF-IDF + logistic regression": (texts, tfidf)}
    start = time.perf_counter()
    embedded = frozen_embeddings(encoder, [t for part in texts.values() for t in part], max_length, corpus=texts["fit"])
    embed_s = time.perf_counter() - start
    cut = np.cumsum([len(t) for t in texts.values()])[:-1]
    frozen = lambda c: make_pipeline(
        StandardScaler(),
        LogisticRegression(
            C=c,
            max_iter=2000,  # noqa: E731
            random_state=seed,
        ),
    )
    inputs[f"frozen {encoder} (mean-pooled) + logistic regression"] = (
        dict(zip(texts, np.split(embedded, cut))),
        frozen,
    )
    gold = valid["emotion"].to_numpy()
    for name, (x, make) in inputs.items():
        start = time.perf_counter()
        estimator, c, valid_f1 = choose_on_validation(
            make, C_GRID, x["fit"], fit["emotion"], x["valid"], lambda pred: macro_f1(gold, pred)
        )
        predicted = estimator.predict(x["dev"])
        floors.append(
            Floor(
                name=name,
                setting=f"C={c:g}",
                valid_score=valid_f1,
                predictions={split: estimator.predict(x[split]) for split in texts if split not in ("fit", "valid")},
                scores=emotion_scores(dev["emotion"], predicted),
                seconds=round(time.perf_counter() - start + (embed_s if "frozen" in name else 0), 1),
            )
        )
    return floors


def frozen_score_floor(
    fit: pd.DataFrame, valid: pd.DataFrame, dev: pd.DataFrame, encoder: str, max_length: int = 256
) -> Floor:
    """Track 1's frozen-encoder floor: mean-pooled frozen ``encoder`` + ridge (one per score), alpha chosen
    on the validation average Pearson."""
    start = time.perf_counter()
    texts = [*fit["essay"], *valid["essay"], *dev["essay"]]
    embedded = frozen_embeddings(encoder, texts, max_length, corpus=list(fit["essay"]))
    x_fit, x_valid, x_dev = np.split(embedded, np.cumsum([len(fit), len(valid)]))

    def average(frame: pd.DataFrame, pred: np.ndarray) -> float:
        return track1_scores(frame["empathy"], frame["distress"], pred[:, 0], pred[:, 1])["average"]

    make = lambda a: make_pipeline(StandardScaler(), Ridge(alpha=a))  # noqa: E731
    estimator, alpha, valid_avg = choose_on_validation(
        make, ALPHA_GRID, x_fit, fit[list(SCORES)].to_numpy(), x_valid, lambda pred: average(valid, pred)
    )
    predicted = estimator.predict(x_dev)
    scores = track1_scores(dev["empathy"], dev["distress"], predicted[:, 0], predicted[:, 1])
    return Floor(
        name=f"floor: frozen {encoder} (mean-pooled) + ridge",
        setting=f"alpha={alpha:g}",
        valid_score=valid_avg,
        predictions={"dev": predicted},
        scores=scores,
        seconds=round(time.perf_counter() - start, 1),
    )
