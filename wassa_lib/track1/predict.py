"""Track-1 predictions from a finished run's saved artifacts: new essays (:func:`predict_scores`, what
``predict`` and the submission use), the authors' system as run (:func:`as_run_predictions`) and its erroneous
test file, and the check that the saved artifacts reproduce notebook 03's predictions (:func:`predict_gap`)."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import PERSON_FEATURES, SCORES
from wassa_lib.settings.layout import erroneous_predictions_path, require_file, track1_dir
from wassa_lib.track1.embeddings import ENCODERS_FILE, encode, load_embeddings
from wassa_lib.track1.features import feature_frame
from wassa_lib.track1.finetune import (
    AS_RUN_PIPELINES,
    BEST_PIPELINE,
    SELECTION_FILE,
    SUMMARY_FILE,
    TEXT_ONLY_PIPELINE,
    FineTuned,
    load_fine_tuned,
    model_dir,
)
from wassa_lib.track1.regressors import TARGETS
from wassa_lib.track1.table2 import Comparison, swap_embeddings

logger = logging.getLogger(__name__)


def _stamp(directory: Path) -> int:
    return (require_file(Path(directory) / SUMMARY_FILE, "notebook 02")).stat().st_mtime_ns


@lru_cache(maxsize=2)
def _cached_fine_tuned(directory: str, stamp: int) -> FineTuned:
    """Loaded once per saved model (``stamp``: when it was written), for repeated predictions in chunks."""
    return load_fine_tuned(Path(directory))


def predict_scores(run_dir: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Empathy and distress for the essays of ``frame`` from a finished run's saved artifacts.

    Loads both fine-tuned encoders, embeds ``frame["essay"]`` as notebook 02 did and
    applies the regressor pipeline notebook 03 selected. A row that lacks a person
    feature (the column is missing, or its value is blank) is predicted with the
    text-only variant of that regressor, and the count of such rows is logged.
    Returns columns ``empathy`` and ``distress`` in the row order (and with the index)
    of ``frame``.
    """
    import joblib

    if "essay" not in frame.columns:
        raise KeyError("frame lacks the column essay")
    track_dir = track1_dir(run_dir)
    info = json.loads(require_file(track_dir / ENCODERS_FILE, "notebook 02").read_text(encoding="utf-8"))
    selection = json.loads(require_file(track_dir / SELECTION_FILE, "notebook 03").read_text(encoding="utf-8"))
    person = frame.reindex(columns=PERSON_FEATURES).apply(lambda c: pd.to_numeric(c, errors="coerce"))
    complete = person.notna().all(axis=1).to_numpy()
    embedded = {}
    for score in SCORES:
        tuned = _cached_fine_tuned(str(model_dir(track_dir, score)), _stamp(model_dir(track_dir, score)))
        embedded[score] = encode(
            tuned, frame["essay"].tolist(), info["pooling"], info["max_length"], info["batch_size"]
        )[0]
    features = feature_frame(person.assign(essay=frame["essay"].to_numpy()), embedded["empathy"], embedded["distress"])
    predicted = np.empty((len(frame), len(SCORES)))
    if complete.any():
        pipeline = joblib.load(require_file(track_dir / BEST_PIPELINE, "notebook 03"))
        predicted[complete] = pipeline.predict(features[complete])
    if not complete.all():
        logger.warning(
            "%d of %d essays lack person features: predicted with the text-only %s regressor",
            int((~complete).sum()),
            len(frame),
            selection["regressor"],
        )
        pipeline = joblib.load(require_file(track_dir / TEXT_ONLY_PIPELINE, "notebook 03"))
        predicted[~complete] = pipeline.predict(features[~complete])
    return pd.DataFrame(predicted, columns=list(SCORES), index=frame.index)


def as_run_predictions(run_dir: Path, split: str, frame: pd.DataFrame, erroneous: bool = False) -> pd.DataFrame:
    """Empathy and distress of the essays of ``frame`` (``split``, whose embeddings notebook 02 wrote) by the
    authors' system as notebook 03 saved it, each score's regressor over its own encoder's embedding and the
    person features; with ``erroneous`` the empathy regressor reads the distress encoder's embedding, as the
    authors' test submission did."""
    import joblib

    track_dir = track1_dir(run_dir)
    pipelines = joblib.load(require_file(track_dir / AS_RUN_PIPELINES, "notebook 03"))
    embedded = load_embeddings(track_dir, split, frame["message_id"])
    features = feature_frame(frame, embedded.empathy, embedded.distress)
    inputs = {"empathy": swap_embeddings(features) if erroneous else features, "distress": features}
    return pd.DataFrame(
        {score: pipelines[score].predict(inputs[score])[:, TARGETS.index(score)] for score in SCORES}, index=frame.index
    )


def write_erroneous_test(run_dir: Path, test: pd.DataFrame) -> Path:
    """The authors' erroneous Track-1 test predictions (:func:`as_run_predictions` with ``erroneous``), written
    in the submission's format beside the submission, never into it; returns the file written."""
    from wassa_lib.scoring.submission import write_emp

    wrong = as_run_predictions(run_dir, "test", test, erroneous=True)
    return write_emp(erroneous_predictions_path(run_dir), wrong["empathy"], wrong["distress"])


def predict_gap(comparison: Comparison, run_dir: Path, dev: pd.DataFrame, n: int = 8) -> float:
    """The largest difference between :func:`predict_scores` on the first ``n`` essays of ``dev``, from the
    artifacts ``comparison.save`` wrote, and the chosen regressor's predictions in ``comparison`` (float error)."""
    here = comparison.regressors[comparison.best].predictions["dev"].head(n).to_numpy()
    return float(np.abs(predict_scores(run_dir, dev.head(n)).to_numpy() - here).max())
