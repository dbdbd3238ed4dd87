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
