"""The numbers the paper reports (Butala et al., WASSA 2021), shown beside ours and labelled as the paper's.

These are never results of this kit: tables print them in columns named ``paper_*``.
"""
from __future__ import annotations

TABLE1_TRAIN = {"sadness": 647, "anger": 349, "neutral": 275, "fear": 194, "surprise": 164, "disgust": 149,
                "joy": 82}
# The paper's dev column, row by row as printed (its rows sum to 268 although it reports a total of 270).
TABLE1_DEV = {"sadness": 96, "anger": 76, "neutral": 31, "fear": 25, "surprise": 14, "disgust": 14, "joy": 12}
TABLE1_TOTALS = {"train": 1860, "dev": 270}

# Table 2: dev Pearson per regressor over the shared embeddings and person features.
TABLE2 = {
    "svr": {"distress": 0.400, "empathy": 0.406, "average": 0.403},
    "xgboost": {"distress": 0.431, "empathy": 0.394, "average": 0.413},
    "adaboost": {"distress": 0.418, "empathy": 0.374, "average": 0.396},
    "mlp": {"distress": 0.462, "empathy": 0.473, "average": 0.468},
}
# Table 3: test Pearson of the final (MLP) submission, and the best system of the shared task.
TABLE3 = {"distress": 0.476, "empathy": 0.358, "average": 0.417}
TABLE3_BEST_IN_TASK = {"distress": 0.574, "empathy": 0.517, "average": 0.545}

# Table 4: dev macro-F1 per Track-2 model.
TABLE4 = {"bert-base-uncased": 0.38, "albert-base-v2": 0.4739, "google/pegasus-xsum": 0.502, "t5-base": 0.5259,
          "mrm8488/t5-base-finetuned-emotion": 0.572}

# Table 5: test metrics of the final Track-2 submission, and the best macro-F1 of the shared task (WASSA@IITK).
TABLE5 = {"macro_f1": 0.502, "micro_f1": 0.594, "accuracy": 0.594, "macro_precision": 0.550,
          "micro_precision": 0.594, "macro_recall": 0.483, "micro_recall": 0.594}
TABLE5_BEST_IN_TASK = {"macro_f1": 0.5528}

# Settings the paper leaves open or sets otherwise, and where the kit's choice lives: a params key (dotted into
# a mapping) or, for a fixed design choice, the choice itself. The manifest of every run lists them.
OPEN_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("Track-1 epochs", "not given", "track1_training.epochs"),
    ("Track-1 batch", "not given", "track1_training.batch_size"),
    ("Track-1 max length", "not given", "track1_training.max_length"),
    ("Track-1 warmup", "not given", "track1_training.warmup_ratio"),
    ("Track-1 pooling", "not given", "track1_pooling"),
    ("Track-1 precision", "not given", "track1_training.precision"),
    ("regressors' hyperparameters", "not given", "track1_regressors"),
    ("person features", "demographics and personality", "=demographics, personality and IRI, standardised"),
    ("which regressor goes to test", "chosen on dev", "=chosen on the validation split"),
    ("train/validation split", "80/20, stratification not given", "valid_fraction"),
    ("Track-2 epochs, batch, max length, warmup", "not given", "track2_models"),
    ("CARER stage", "the downloaded mrm8488/t5-base-finetuned-emotion", "track2_incremental"),
    ("decoding", "generation of the label word",
     "=the best-scoring of the label sequences (constrained); free generations counted as invalid"),
    ("which Track-2 model goes to test", "chosen on dev", "=chosen on the validation split"),
)


def settings_table(params: dict) -> list[dict]:
    """:data:`OPEN_SETTINGS` with the kit's value of each read from ``params`` (a training setting the params
    leave out: its default; None where absent)."""
    from dataclasses import asdict

    from .config import TrainingConfig

    training = params.get("track1_training")
    defaults = asdict(TrainingConfig.from_params(training)) if isinstance(training, dict) else {}
    rows = []
    for setting, theirs, where in OPEN_SETTINGS:
        if where.startswith("="):
            ours = where[1:]
        elif where.startswith("track1_training."):
            ours = defaults.get(where.split(".", 1)[1])
        else:
            ours = params
            for part in where.split("."):
                ours = ours.get(part) if isinstance(ours, dict) else None
        rows.append({"setting": setting, "paper": theirs, "kit": ours, "params_key": None if where.startswith("=")
                     else where})
    return rows
