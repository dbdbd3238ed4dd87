"""Track 2 (emotion): classification or label generation, the CARER stage, Table 4 and serving (paper §4.2).

Imports data, settings, hf and scoring; the names below are its public face for notebooks 04 and 05."""

from wassa_lib.track2.config import FAMILIES, IncrementalConfig, Track2Model, models_table
from wassa_lib.track2.decoding import (
    count_invalid,
    eos_token_id,
    generate_free,
    label_targets,
    one_hot,
    parse_generation,
    predict_classifier,
    predict_generation,
    score_labels,
)
from wassa_lib.track2.row import ModelResult, run_model
from wassa_lib.track2.table4 import (
    SELECTION_FILE,
    floors_predictions,
    incremental_effect,
    invalid_generations,
    predict_emotions,
    select_best,
    stage1_on_carer_test,
    table4,
)
from wassa_lib.track2.training import (
    MODEL_DIR,
    PREDICTIONS_FILE,
    RESULT_FILE,
    STAGE1_DIR,
    stage1_dir,
    train_classifier,
    train_generator,
    train_stage1,
)

__all__ = [
    "FAMILIES",
    "IncrementalConfig",
    "Track2Model",
    "models_table",
    "invalid_generations",
    "count_invalid",
    "eos_token_id",
    "generate_free",
    "label_targets",
    "one_hot",
    "parse_generation",
    "predict_classifier",
    "predict_generation",
    "score_labels",
    "floors_predictions",
    "SELECTION_FILE",
    "incremental_effect",
    "predict_emotions",
    "select_best",
    "stage1_on_carer_test",
    "table4",
    "MODEL_DIR",
    "PREDICTIONS_FILE",
    "RESULT_FILE",
    "STAGE1_DIR",
    "ModelResult",
    "stage1_dir",
    "run_model",
    "train_classifier",
    "train_generator",
    "train_stage1",
]
