"""Track-1 regressors by name, each predicting [empathy, distress], and fit-on-fit-split / score-elsewhere.

Every regressor predicts both scores. SVR, XGBoost, AdaBoost and the MLP are
wrapped in ``MultiOutputRegressor``: one estimator per score with the same
hyperparameters, as the paper uses "the same model, loss function, and
hyper-parameters" for both. Ridge (the floor) is natively multi-output, which is
the same thing: one independent ridge per score.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.ensemble import AdaBoostRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from wassa_lib.data.wassa import SCORES
from wassa_lib.scoring.scorer import track1_scores

TARGETS = list(SCORES)
LABELS = {"svr": "SVR", "xgboost": "XGBoost", "adaboost": "AdaBoost", "mlp": "MLP", "ridge": "Ridge"}
ADABOOST_TREE_KEYS = ("max_depth", "max_features")


def _svr(params: dict, seed: int) -> SVR:
    return SVR(**params)


def _xgboost(params: dict, seed: int) -> RegressorMixin:
    from xgboost import XGBRegressor

    return XGBRegressor(**{"random_state": seed, **params})


def _adaboost(params: dict, seed: int) -> AdaBoostRegressor:
    tree = {k: params[k] for k in ADABOOST_TREE_KEYS if k in params}
    rest = {k: v for k, v in params.items() if k not in ADABOOST_TREE_KEYS}
    return AdaBoostRegressor(
        estimator=DecisionTreeRegressor(**{"max_depth": 3, **tree}, random_state=seed), **{"random_state": seed, **rest}
    )


def _mlp(params: dict, seed: int) -> MLPRegressor:
    params = dict(params)
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    return MLPRegressor(**{"random_state": seed, **params})


def _ridge(params: dict, seed: int) -> Ridge:
    return Ridge(**params)


BUILDERS: dict[str, Callable[[dict, int], RegressorMixin]] = {
    "svr": _svr,
    "xgboost": _xgboost,
    "adaboost": _adaboost,
    "mlp": _mlp,
    "ridge": _ridge,
}
REGRESSORS = tuple(BUILDERS)
NATIVE_MULTI_OUTPUT = ("ridge",)


@dataclass
class RegressorConfig:
    """A regressor name from :data:`REGRESSORS` and its hyperparameters (the estimator's own keyword names;
    for AdaBoost also ``max_depth`` and ``max_features`` of its decision trees)."""

    name: str
    params: dict = field(default_factory=dict)
    seed: int = 42

    def __post_init__(self) -> None:
        if self.name not in BUILDERS:
            raise ValueError(f"unknown regressor {self.name!r}; known: {', '.join(REGRESSORS)}")
        if not isinstance(self.params, dict):
            raise ValueError(f"hyperparameters of {self.name} must be a mapping, got {self.params!r}")
        known = set(BUILDERS[self.name]({}, self.seed).get_params(deep=False))
        known |= set(ADABOOST_TREE_KEYS) if self.name == "adaboost" else set()
        unknown = sorted(set(self.params) - known)
        if unknown:
            raise ValueError(
                f"unknown hyperparameter(s) {', '.join(unknown)} for {self.name}; known: {', '.join(sorted(known))}"
            )

    def build(self) -> RegressorMixin:
        """A fresh unfitted estimator predicting the columns :data:`TARGETS`."""
        estimator = BUILDERS[self.name](self.params, self.seed)
        return estimator if self.name in NATIVE_MULTI_OUTPUT else MultiOutputRegressor(estimator)


def make_regressor(name: str, params: dict | None = None, seed: int = 42) -> RegressorMixin:
    """The regressor ``name`` with ``params``, predicting [empathy, distress]."""
    return RegressorConfig(name, dict(params or {}), seed).build()


def gold(frame: pd.DataFrame) -> np.ndarray:
    """The gold [empathy, distress] matrix of ``frame``; an error where a split has no gold."""
    missing = [c for c in TARGETS if c not in frame.columns or frame[c].isna().any()]
    if missing:
        raise ValueError(f"frame has no gold {', '.join(missing)} for every row; cannot fit or score on it")
    return frame[TARGETS].to_numpy(dtype=float)


def score(frame: pd.DataFrame, predictions: pd.DataFrame) -> dict[str, float]:
    """The official Track-1 scores of ``predictions`` against ``frame``'s gold."""
    truth = gold(frame)
    return track1_scores(truth[:, 0], truth[:, 1], predictions["empathy"], predictions["distress"])


@dataclass
class Scored:
    """A pipeline fitted on the fit split, with its predictions and scores on other splits."""

    pipeline: Pipeline | dict[str, Pipeline]  # one per score where each score has its own (the as-run rows)
    predictions: dict[str, pd.DataFrame]
    scores: dict[str, dict[str, float]]


def fit_and_score(pipeline: Pipeline, fit: pd.DataFrame, evaluate: dict[str, pd.DataFrame]) -> Scored:
    """Fit ``pipeline`` on ``fit`` only, then predict and score each frame of ``evaluate``.

    An MLP that reaches its ``max_iter`` warns (``ConvergenceWarning``); the cap is one of its settings (the
    authors' MLPs stop at 40 and 80 iterations by design) and validation judges the result, so it is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        pipeline.fit(fit, gold(fit))
    predictions = {name: pd.DataFrame(pipeline.predict(frame), columns=TARGETS) for name, frame in evaluate.items()}
    scores = {name: score(evaluate[name], pred) for name, pred in predictions.items()}
    return Scored(pipeline, predictions, scores)
