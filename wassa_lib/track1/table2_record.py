"""Notebook 03's record, ``metrics/03_regressor_comparison.json``, as the notebooks after it read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wassa_lib.scoring.tables import Record


@dataclass
class Table2Record(Record):
    """Notebook 03: the regressor carried to test (chosen on validation), every regressor's, ablation's and
    floor's scores per split (``{"empathy", "distress", "average"}``), the as-run and authors' rows, the
    erroneous submission, and how far ``predict`` is from the comparison's own predictions."""

    NOTEBOOK: ClassVar[str] = "03_regressor_comparison"
    best_regressor: str
    selected_by: str
    best_dev: dict[str, float]
    best_validation: dict[str, float]
    floor_dev: dict[str, float]
    heads_dev: dict[str, float]
    best_beats_floor: bool
    frozen_floor_dev: dict | None
    floors_validation: dict[str, float]
    ablations_dev: dict[str, dict]
    multitask_dev: dict | None
    multitask_heads_dev: dict | None
    as_run_dev: dict | None
    authors_dev: dict[str, dict]
    erroneous_submission: dict | None
    regressors: dict[str, dict]
    predict_check_max_difference: float | None = None

    def validation_average(self, regressor: str) -> float:
        return self.regressors[regressor]["validation"]["average"]
