"""Feature assembly: column order, scaling fitted on the fit rows only, no dev rows in fitting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge

from wassa_lib.data.mock import mock_essays
from wassa_lib.data.wassa import PERSON_FEATURES
from wassa_lib.track1.features import (
    FEATURE_SETS,
    assembler,
    describe,
    embedding_columns,
    feature_frame,
    feature_pipeline,
    tfidf_pipeline,
)
from wassa_lib.track1.regressors import fit_and_score


def _frames(n: int, dim: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    essays = mock_essays(n, seed=seed)
    return feature_frame(essays, rng.normal(size=(n, dim)), rng.normal(10.0, 2.0, size=(n, dim)))


class RecordingRegressor(RegressorMixin, BaseEstimator):
    """Predicts zeros; remembers the matrix it was fitted on."""

    def fit(self, X, y):
        self.fitted_X_ = np.asarray(X).copy()
        self.fitted_y_ = np.asarray(y).copy()
        return self

    def predict(self, X):
        return np.zeros((len(X), 2)) + np.asarray(X)[:, :1]


def test_feature_frame_keeps_rows_and_names_embedding_columns():
    frame = _frames(12, dim=4)
    assert list(frame.columns[:4]) == ["message_id", "essay", "empathy", "distress"]
    assert embedding_columns("empathy", 4) == ["emp_0000", "emp_0001", "emp_0002", "emp_0003"]
    assert set(embedding_columns("distress", 4)) <= set(frame.columns)
    assert len(frame) == 12


def test_feature_frame_rejects_misaligned_embeddings():
    essays = mock_essays(5)
    with pytest.raises(ValueError, match="empathy embeddings have shape"):
        feature_frame(essays, np.zeros((4, 3)), np.zeros((5, 3)))


def test_full_feature_order_is_empathy_then_distress_then_person():
    frame = _frames(20, dim=3)
    names = list(assembler("full").fit(frame).get_feature_names_out())
    assert names == embedding_columns("empathy", 3) + embedding_columns("distress", 3) + PERSON_FEATURES
    assert "empathy" not in names and "distress" not in names and "essay" not in names


@pytest.mark.parametrize(
    "feature_set, expected",
    [("text_only", ["emp", "dis"]), ("empathy_only", ["emp", "person"]), ("distress_only", ["dis", "person"])],
)
def test_ablation_feature_sets_leave_one_part_out(feature_set, expected):
    frame = _frames(20, dim=2)
    names = list(assembler(feature_set).fit(frame).get_feature_names_out())
    parts = {"emp": embedding_columns("empathy", 2), "dis": embedding_columns("distress", 2), "person": PERSON_FEATURES}
    assert names == [c for part in expected for c in parts[part]]
    assert describe(feature_set) == " ; ".join(expected)


def test_unknown_feature_set_lists_known_ones():
    with pytest.raises(ValueError, match="known: " + ", ".join(FEATURE_SETS)):
        assembler("everything")


def test_person_scaler_is_fitted_on_fit_rows_only_and_embeddings_pass_through():
    frame = _frames(40)
    fit, dev = frame.iloc[:30], frame.iloc[30:]
    pipeline = feature_pipeline(RecordingRegressor(), "full")
    scored = fit_and_score(pipeline, fit, {"dev": dev})
    scaler = scored.pipeline.named_steps["features"].named_transformers_["person"]
    np.testing.assert_allclose(scaler.mean_, fit[PERSON_FEATURES].mean().to_numpy())
    assert not np.allclose(scaler.mean_, frame[PERSON_FEATURES].mean().to_numpy())
    recorded = scored.pipeline.named_steps["regressor"].fitted_X_
    assert recorded.shape == (30, 3 + 3 + len(PERSON_FEATURES))
    np.testing.assert_array_equal(recorded[:, :3], fit[embedding_columns("empathy", 3)].to_numpy())
    np.testing.assert_allclose(recorded[:, 6:].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(
        scored.pipeline.named_steps["regressor"].fitted_y_, fit[["empathy", "distress"]].to_numpy()
    )


def test_scaled_embeddings_option_standardises_on_fit_rows():
    frame = _frames(30)
    fit = frame.iloc[:20]
    features = assembler("full", scale_embeddings=True).fit(fit)
    np.testing.assert_allclose(
        features.named_transformers_["distress"].mean_, fit[embedding_columns("distress", 3)].mean().to_numpy()
    )


def test_dev_rows_never_reach_fit():
    frame = _frames(40)
    fit, dev = frame.iloc[:25], frame.iloc[25:]
    seen = []

    class Spy(RecordingRegressor):
        def fit(self, X, y):
            seen.append(len(X))
            return super().fit(X, y)

    scored = fit_and_score(feature_pipeline(Spy(), "full"), fit, {"dev": dev, "fit": fit})
    assert seen == [25]
    assert len(scored.predictions["dev"]) == 15


def test_text_only_pipeline_predicts_without_person_columns():
    frame = _frames(30)
    pipeline = feature_pipeline(Ridge(), "text_only").fit(frame, frame[["empathy", "distress"]].to_numpy())
    text_only = frame.drop(columns=PERSON_FEATURES)
    np.testing.assert_allclose(pipeline.predict(text_only), pipeline.predict(frame))


def test_tfidf_floor_uses_only_the_essay():
    frame = _frames(40)
    scored = fit_and_score(tfidf_pipeline(Ridge(), min_df=1), frame.iloc[:30], {"dev": frame.iloc[30:]})
    vocabulary = scored.pipeline.named_steps["features"].named_transformers_["tfidf"].vocabulary_
    assert len(vocabulary) > 10
    assert np.isfinite(scored.predictions["dev"].to_numpy()).all()
