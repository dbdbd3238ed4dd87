"""The Track-1 feature vector: [empathy-model embedding ; distress-model embedding ; scaled person features].

This is the paper's hard parameter sharing by concatenation (its Figure 1). The
assembly is an sklearn ``ColumnTransformer`` inside the regressor's
``Pipeline``, so the scaler is fitted on the rows the pipeline is fitted on (the
fit split) and only applied to validation, dev and test.

A feature frame holds the essay, the person features and the embedding columns
``emp_0000 ...`` and ``dis_0000 ...``; a feature set names which of the three
parts a pipeline uses, so the ablations are the same pipeline with a part left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from wassa_lib.data.wassa import PERSON_FEATURES, SCORES

PREFIXES = {"empathy": "emp", "distress": "dis", "joint": "mt"}
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "full": ("empathy", "distress", "person"),
    "text_only": ("empathy", "distress"),
    "empathy_only": ("empathy", "person"),
    "distress_only": ("distress", "person"),
    "multitask": ("joint", "person"),  # the one encoder with two heads (wassa_lib.track1.finetune.JOINT) instead of two
}


def embedding_columns(score: str, dim: int) -> list[str]:
    """``emp_0000 ...``, ``dis_0000 ...`` or ``mt_0000 ...``: the columns of one encoder's embedding."""
    return [f"{PREFIXES[score]}_{i:04d}" for i in range(dim)]


def describe(feature_set: str) -> str:
    """A short label such as ``emp ; dis ; person``."""
    return " ; ".join(PREFIXES.get(part, part) for part in FEATURE_SETS[feature_set])


def feature_frame(
    frame: pd.DataFrame, empathy: np.ndarray, distress: np.ndarray, joint: np.ndarray | None = None
) -> pd.DataFrame:
    """``frame``'s id, essay, gold scores and person features (those it has) beside both embeddings (and the
    joint encoder's, where given), row by row.

    The gold columns ride along for scoring; no assembler ever selects them.
    """
    for name, emb in (("empathy", empathy), ("distress", distress)):
        if emb.ndim != 2 or len(emb) != len(frame):
            raise ValueError(f"{name} embeddings have shape {emb.shape}; expected ({len(frame)}, dim)")
    kept = [c for c in ["message_id", "essay", *SCORES, *PERSON_FEATURES] if c in frame.columns]
    parts = [
        frame[kept].reset_index(drop=True),
        pd.DataFrame(empathy, columns=embedding_columns("empathy", empathy.shape[1])),
        pd.DataFrame(distress, columns=embedding_columns("distress", distress.shape[1])),
    ]
    if joint is not None:
        parts.append(pd.DataFrame(joint, columns=embedding_columns("joint", joint.shape[1])))
    return pd.concat(parts, axis=1)


def assembler(feature_set: str = "full", scale_embeddings: bool = False) -> ColumnTransformer:
    """The columns of ``feature_set`` in the order [emp ; dis ; person], person features standardised.

    Embeddings pass through unscaled, as in the paper, unless ``scale_embeddings``.
    """
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}")
    steps = []
    for part in FEATURE_SETS[feature_set]:
        if part == "person":
            steps.append(("person", StandardScaler(), list(PERSON_FEATURES)))
        else:
            selector = make_column_selector(pattern=rf"^{PREFIXES[part]}_\d+$")
            steps.append((part, StandardScaler() if scale_embeddings else "passthrough", selector))
    return ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)


def feature_pipeline(regressor: RegressorMixin, feature_set: str = "full", scale_embeddings: bool = False) -> Pipeline:
    """``Pipeline([features, regressor])`` over a feature frame."""
    return Pipeline([("features", assembler(feature_set, scale_embeddings)), ("regressor", regressor)])


def tfidf_pipeline(
    regressor: RegressorMixin,
    ngram_range: Sequence[int] = (1, 2),
    min_df: int = 2,
    sublinear_tf: bool = True,
    max_features: int | None = None,
) -> Pipeline:
    """The floor without fine-tuning: TF-IDF of the essay words into ``regressor``."""
    tfidf = TfidfVectorizer(
        ngram_range=tuple(ngram_range), min_df=min_df, sublinear_tf=sublinear_tf, max_features=max_features
    )
    return Pipeline([("features", ColumnTransformer([("tfidf", tfidf, "essay")])), ("regressor", regressor)])
