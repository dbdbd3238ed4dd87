"""The numbers the paper reports (Butala et al., WASSA 2021), shown beside ours and labelled as the paper's.

These are never results of this kit: tables print them in columns named ``paper_*``.
"""

from __future__ import annotations

TABLE1_TRAIN = {"sadness": 647, "anger": 349, "neutral": 275, "fear": 194, "surprise": 164, "disgust": 149, "joy": 82}
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
TABLE4 = {
    "bert-base-uncased": 0.38,
    "albert-base-v2": 0.4739,
    "google/pegasus-xsum": 0.502,
    "t5-base": 0.5259,
    "mrm8488/t5-base-finetuned-emotion": 0.572,
}

# The paper's own differences behind three of its claims, from the numbers it prints (each claim of
# ``claims.csv`` is held against these; the other claims have no pair of numbers in the paper).
PAPER_EFFECTS = {
    # label generation (T5-base) against the best classifier of Table 4
    "generation_vs_classification": TABLE4["t5-base"] - max(TABLE4["bert-base-uncased"], TABLE4["albert-base-v2"]),
    # the CARER-tuned checkpoint against T5-base
    "incremental": TABLE4["mrm8488/t5-base-finetuned-emotion"] - TABLE4["t5-base"],
    # the MLP against the best other regressor of Table 2
    "mlp_best_regressor": TABLE2["mlp"]["average"] - max(v["average"] for k, v in TABLE2.items() if k != "mlp"),
}

# Table 5: test metrics of the final Track-2 submission, and the best macro-F1 of the shared task (WASSA@IITK).
TABLE5 = {
    "macro_f1": 0.502,
    "micro_f1": 0.594,
    "accuracy": 0.594,
    "macro_precision": 0.550,
    "micro_precision": 0.594,
    "macro_recall": 0.483,
    "micro_recall": 0.594,
}
TABLE5_BEST_IN_TASK = {"macro_f1": 0.5528}

# Settings the paper leaves open or sets otherwise: what its text says, what the authors' released code does
# (YashButala/WASSA: wassa_bert_only.ipynb for Track 1, T5_based_label_classification.ipynb for Track 2), and where
# the kit's choice lives: a params key (dotted into a mapping) or, for a fixed design choice, the choice itself.
# The manifest of every run lists them.
OPEN_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("Track-1 epochs", "not given", "10, the best epoch kept", "track1_training.epochs"),
    ("Track-1 batch", "not given", "32", "track1_training.batch_size"),
    ("Track-1 max length", "not given", "256, every essay padded to it", "track1_training.max_length"),
    ("Track-1 learning rate", "2e-5 (Adam)", "2e-5 (AdamW, eps 1e-8, linear decay)", "track1_training.learning_rate"),
    ("Track-1 warmup", "not given", "none", "track1_training.warmup_ratio"),
    ("Track-1 embedding (pooling)", "the pooled output", "the [CLS] token's last hidden state", "track1_pooling"),
    (
        "Track-1 regression head",
        "not given",
        "[CLS] state, 768-50 ReLU, dropout 0.4, 50-1 ReLU, raw scores",
        "track1_head",
    ),
    (
        "Track-1 features of each regressor",
        "both embeddings concatenated + person features",
        "the score's own encoder's embedding + person features",
        "=concatenated (Table 2); the authors' system as the 'as run' rows",
    ),
    (
        "regressors' hyperparameters",
        "not given",
        "SVR C 1, epsilon 0.2 on standardised inputs; XGBoost 10 trees; "
        "AdaBoost 100, rate 0.9 (distress); MLP (100,), 40/80 iterations",
        "track1_regressors",
    ),
    (
        "person features",
        "demographics and personality",
        "demographics, personality and IRI, each split standardised on itself",
        "=demographics, personality and IRI, standardised on the fit split",
    ),
    ("Track-1 encoder epoch chosen on", "not given", "dev (mean of per-batch Pearson)", "=the validation split"),
    ("which regressor goes to test", "chosen on dev", "the MLP, chosen on dev", "=chosen on the validation split"),
    (
        "train/validation split",
        "80/20, stratification not given",
        "Track 1: no split (dev as validation); Track 2: 90/10, not stratified",
        "valid_fraction",
    ),
    (
        "Track-2 epochs, batch, max length, warmup",
        "not given",
        "10 epochs, batch 8, 320 tokens, no warmup",
        "track2_models",
    ),
    ("Track-2 learning rate", "2e-5", "3e-5, weight decay 0.001", "track2_models"),
    (
        "CARER stage",
        "the downloaded mrm8488/t5-base-finetuned-emotion",
        "the downloaded checkpoint",
        "track2_incremental",
    ),
    (
        "decoding",
        "generation of the label word",
        "free generation, an invalid output counted as neutral",
        "=the best-scoring of the label sequences (constrained); free generations counted as invalid",
    ),
    (
        "which Track-2 model goes to test",
        "chosen on dev",
        "the model after the last epoch",
        "=chosen on the validation split",
    ),
)


# Where the paper's text and the authors' code set one setting differently: the params path (as
# :func:`params_differences` writes it), the text's value and the code's. params/paper.yaml follows the code;
# params/layers/paper-text.yaml puts the text's values back.
TEXT_VS_CODE: dict[str, tuple[object, object]] = {
    "track1_pooling": ("pooler", "cls"),
    "track2_models[t5-base-finetuned-emotion].training.learning_rate": (2.0e-5, 3.0e-5),
    "track2_models[t5-base-incremental].training.learning_rate": (2.0e-5, 3.0e-5),
}


def params_differences(a: dict, b: dict, prefix: str = "") -> dict[str, tuple[object, object]]:
    """Every leaf where the params ``a`` and ``b`` differ, as ``{path: (a's value, b's value)}``; list entries
    with a ``name`` are matched by it (``track2_models[<name>]``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = {}
        for key in dict.fromkeys([*a, *b]):
            out.update(params_differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) and "name" in x for x in a + b):
        named_a, named_b = {x["name"]: x for x in a}, {x["name"]: x for x in b}
        out = {}
        for name in dict.fromkeys([*named_a, *named_b]):
            out.update(params_differences(named_a.get(name), named_b.get(name), f"{prefix}[{name}]"))
        return out
    return {} if a == b else {prefix: (a, b)}


def settings_table(params: dict) -> list[dict]:
    """:data:`OPEN_SETTINGS` with the kit's value of each read from ``params`` (a training setting the params
    leave out: its default; None where absent), beside the paper's text and the authors' code."""
    from dataclasses import asdict

    from wassa_lib.settings.configs import TrainingConfig

    training = params.get("track1_training")
    defaults = asdict(TrainingConfig.from_params(training)) if isinstance(training, dict) else {}
    rows = []
    for setting, theirs, code, where in OPEN_SETTINGS:
        if where.startswith("="):
            ours = where[1:]
        elif where.startswith("track1_training."):
            ours = defaults.get(where.split(".", 1)[1])
        else:
            ours = params
            for part in where.split("."):
                ours = ours.get(part) if isinstance(ours, dict) else None
        rows.append(
            {
                "setting": setting,
                "paper": theirs,
                "authors_code": code,
                "kit": ours,
                "params_key": None if where.startswith("=") else where,
            }
        )
    return rows
