"""The regressor factory and scoring with the official Track-1 scorer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.multioutput import MultiOutputRegressor

from wassa_lib.data.mock import mock_essays
from wassa_lib.scoring.scorer import track1_scores
from wassa_lib.track1.features import feature_frame, feature_pipeline
from wassa_lib.track1.regressors import (
    REGRESSORS,
    RegressorConfig,
    fit_and_score,
    gold,
    make_regressor,
    score,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {
    "svr": {"C": 2.0},
    "xgboost": {"n_estimators": 15, "max_depth": 2, "learning_rate": 0.3},
    "adaboost": {"n_estimators": 8, "max_depth": 2},
    "mlp": {"hidden_layer_sizes": [8], "max_iter": 60},
    "ridge": {"alpha": 3.0},
}


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    essays = mock_essays(80, seed=1)
    signal = essays[["empathy", "distress"]].to_numpy()
    emp = np.hstack([signal[:, :1] + rng.normal(0, 0.5, (80, 1)), rng.normal(size=(80, 3))])
    dis = np.hstack([signal[:, 1:] + rng.normal(0, 0.5, (80, 1)), rng.normal(size=(80, 3))])
    frame = feature_frame(essays, emp, dis)
    return frame.iloc[:60].reset_index(drop=True), frame.iloc[60:].reset_index(drop=True)


def test_factory_knows_the_papers_regressors_and_the_floor():
    assert set(REGRESSORS) == {"svr", "xgboost", "adaboost", "mlp", "ridge"}


@pytest.mark.parametrize("name", REGRESSORS)
def test_each_regressor_fits_and_predicts_finite_scores(name, frames):
    fit, dev = frames
    scored = fit_and_score(feature_pipeline(make_regressor(name, SMALL[name], seed=0)), fit, {"dev": dev})
    predicted = scored.predictions["dev"]
    assert list(predicted.columns) == ["empathy", "distress"]
    assert predicted.shape == (20, 2)
    assert np.isfinite(predicted.to_numpy()).all()
    assert set(scored.scores["dev"]) == {"empathy", "distress", "average"}
    assert all(np.isfinite(v) for v in scored.scores["dev"].values())
    if name != "mlp":  # the signal is strong enough for every regressor but an 8-unit MLP in 60 iterations
        assert scored.scores["dev"]["average"] > 0.3


def test_hyperparameters_from_params_are_applied():
    svr = make_regressor("svr", {"C": 3.5, "epsilon": 0.2})
    assert isinstance(svr, MultiOutputRegressor)
    assert svr.estimator.C == 3.5 and svr.estimator.epsilon == 0.2
    ada = make_regressor("adaboost", {"n_estimators": 7, "max_depth": 5, "learning_rate": 0.5}, seed=3)
    assert ada.estimator.n_estimators == 7 and ada.estimator.learning_rate == 0.5
    assert ada.estimator.estimator.max_depth == 5 and ada.estimator.random_state == 3
    mlp = make_regressor("mlp", {"hidden_layer_sizes": [16, 4], "alpha": 0.01}, seed=5)
    assert mlp.estimator.hidden_layer_sizes == (16, 4) and mlp.estimator.alpha == 0.01
    assert mlp.estimator.random_state == 5
    xgb = make_regressor("xgboost", {"n_estimators": 11, "max_depth": 2}, seed=9)
    assert xgb.estimator.get_params()["n_estimators"] == 11 and xgb.estimator.get_params()["random_state"] == 9
    assert make_regressor("ridge", {"alpha": 4.0}).alpha == 4.0


def test_unknown_regressor_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown regressor 'lasso'; known: svr, xgboost, adaboost, mlp, ridge"):
        make_regressor("lasso")


def test_unknown_hyperparameter_is_named():
    with pytest.raises(ValueError, match="unknown hyperparameter.*gamma_typo for svr"):
        RegressorConfig("svr", {"gamma_typo": 1.0})


def test_same_seed_gives_same_predictions(frames):
    fit, dev = frames
    runs = [
        fit_and_score(feature_pipeline(make_regressor("mlp", SMALL["mlp"], seed=4)), fit, {"dev": dev})
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].predictions["dev"], runs[1].predictions["dev"])


def _scorer_pearson(gold: list[float], pred: list[float]) -> float:
    """The shared task's evaluation.py Pearson, written out as the organisers' loop (Python 3.11 sums)."""
    mean_g, mean_p = sum(gold) / len(gold), sum(pred) / len(pred)
    dg, dp = [g - mean_g for g in gold], [p - mean_p for p in pred]
    denominator = math.sqrt(sum(a * a for a in dg) * sum(b * b for b in dp))
    r = sum(a * b for a, b in zip(dg, dp)) / denominator if denominator else 0.0
    return round(max(min(r, 1.0), -1.0), 4)


def test_scores_are_the_official_scorer_values(frames):
    fit, dev = frames
    scored = fit_and_score(feature_pipeline(make_regressor("ridge", {"alpha": 1.0})), fit, {"dev": dev})
    pred = scored.predictions["dev"]
    official = track1_scores(dev["empathy"], dev["distress"], pred["empathy"], pred["distress"])
    assert scored.scores["dev"] == official
    for key in ("empathy", "distress"):
        assert scored.scores["dev"][key] == round(scored.scores["dev"][key], 4)
    assert scored.scores["dev"]["average"] == (official["empathy"] + official["distress"]) / 2
    for key in ("empathy", "distress"):
        assert scored.scores["dev"][key] == _scorer_pearson(dev[key].tolist(), pred[key].tolist())


def test_scoring_a_split_without_gold_fails_clearly(frames):
    _, dev = frames
    no_gold = dev.assign(empathy=np.nan)
    with pytest.raises(ValueError, match="no gold empathy"):
        gold(no_gold)
    with pytest.raises(ValueError, match="no gold"):
        score(no_gold, dev[["empathy", "distress"]])
