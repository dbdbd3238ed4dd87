"""Synthetic WASSA-shaped files, so the smoke run and the tests work without the real data.

The essays are built from emotion-specific word lists, so a model can learn
something from them; empathy and distress follow the emotion plus noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.carer import CARER_LABELS
from wassa_lib.data.wassa import (
    DEMOGRAPHICS,
    DEV_FEATURE_FILES,
    DEV_GOLD_2021,
    DEV_GOLD_2022,
    DEV_GOLD_FILES,
    EMOTIONS,
    IRI,
    PERSONALITY,
    TEST_EMO_GOLD_FILE,
    TEST_FEATURE_FILE,
    TRAIN_FILE,
)

CUES = {
    "sadness": ["sad", "heartbreaking", "tragic", "loss", "cried", "grief"],
    "anger": ["angry", "outrageous", "furious", "unfair", "disgrace", "rage"],
    "neutral": ["article", "report", "policy", "information", "countries", "economy"],
    "fear": ["scared", "afraid", "worried", "terrifying", "danger", "anxious"],
    "surprise": ["surprised", "unexpected", "shocked", "amazing", "suddenly", "wow"],
    "disgust": ["disgusting", "gross", "sickening", "vile", "revolting", "nasty"],
    "joy": ["happy", "glad", "wonderful", "hopeful", "great", "relieved"],
}
FILLER = [
    "i",
    "read",
    "the",
    "story",
    "about",
    "people",
    "and",
    "it",
    "made",
    "me",
    "feel",
    "that",
    "we",
    "should",
    "help",
    "this",
    "is",
    "a",
    "news",
    "world",
    "think",
    "really",
    "so",
]
MEAN_SCORES = {
    "sadness": (5.0, 4.5),
    "anger": (3.5, 4.0),
    "neutral": (2.5, 2.0),
    "fear": (4.0, 5.0),
    "surprise": (3.5, 3.0),
    "disgust": (3.0, 4.0),
    "joy": (4.0, 2.0),
}
WEIGHTS = np.array([647, 349, 275, 194, 164, 149, 82], dtype=float) / 1860


def mock_essays(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic essays with emotion, empathy, distress and person features."""
    rng = np.random.default_rng(seed)
    emotions = list(EMOTIONS) + list(rng.choice(EMOTIONS, size=max(n - len(EMOTIONS), 0), p=WEIGHTS))
    emotions = emotions[:n]
    rows = []
    for i, emotion in enumerate(emotions):
        words = list(rng.choice(FILLER, size=int(rng.integers(20, 40))))
        for _ in range(int(rng.integers(2, 5))):
            words.insert(int(rng.integers(0, len(words))), str(rng.choice(CUES[emotion])))
        empathy, distress = (np.clip(m + rng.normal(0, 0.8), 1, 7) for m in MEAN_SCORES[emotion])
        person = f"R_mock{i // 2:05d}"
        rows.append(
            {
                "message_id": f"{person}_{i % 2 + 1}",
                "response_id": person,
                "article_id": int(rng.integers(1, 400)),
                "empathy": round(float(empathy), 3),
                "distress": round(float(distress), 3),
                "empathy_bin": int(empathy > 4),
                "distress_bin": int(distress > 4),
                "essay": " ".join(words).capitalize() + ".",
                "emotion": emotion,
                "gender": int(rng.integers(1, 3)),
                "education": int(rng.integers(1, 7)),
                "race": int(rng.integers(1, 6)),
                "age": int(rng.integers(18, 70)),
                "income": int(rng.integers(1, 20)) * 10000,
                **{c: round(float(rng.uniform(1, 7)), 3) for c in PERSONALITY},
                **{c: round(float(rng.uniform(1, 5)), 3) for c in IRI},
            }
        )
    return pd.DataFrame(rows)


def _write(df: pd.DataFrame, path: Path, header: bool = True) -> None:
    df.to_csv(path, sep="\t", index=False, header=header)


def write_mock_wassa(
    directory: str | Path, layout: str = "2022", n_train: int = 140, n_dev: int = 50, n_test: int = 60, seed: int = 0
) -> Path:
    """Write train/dev/test files in the released ``layout`` ("2021" or "2022") into ``directory``."""
    if layout not in {"2021", "2022"}:
        raise ValueError(f"layout must be '2021' or '2022', got {layout!r}")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    train, dev, test = (mock_essays(n, seed + k) for k, n in enumerate((n_train, n_dev, n_test)))
    ids = ["message_id", "response_id", "article_id", "essay"]
    _write(
        train[
            [
                "message_id",
                "response_id",
                "article_id",
                "empathy",
                "distress",
                "empathy_bin",
                "distress_bin",
                "essay",
                "emotion",
            ]
            + DEMOGRAPHICS
            + PERSONALITY
            + IRI
        ],
        root / TRAIN_FILE,
    )
    if layout == "2022":
        _write(dev[ids + DEMOGRAPHICS], root / DEV_FEATURE_FILES[0])
        _write(dev[DEV_GOLD_2022], root / DEV_GOLD_FILES[0], header=False)
    else:
        _write(dev[ids + DEMOGRAPHICS + PERSONALITY + IRI], root / DEV_FEATURE_FILES[1])
        _write(dev[DEV_GOLD_2021], root / DEV_GOLD_FILES[2], header=False)
    _write(test[ids + DEMOGRAPHICS + PERSONALITY + IRI], root / TEST_FEATURE_FILE)
    _write(test[["emotion"]], root / TEST_EMO_GOLD_FILE)
    return root


LOVE_CUES = ["love", "adore", "caring", "tender", "sweet", "affection"]


def write_mock_carer(
    directory: str | Path, n_train: int = 200, n_val: int = 40, n_test: int = 40, seed: int = 0
) -> Path:
    """Write CARER-shaped ``train/val/test.txt`` files (``text;label`` lines) into ``directory``."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cues = {**{k: v for k, v in CUES.items() if k in CARER_LABELS}, "love": LOVE_CUES}
    for name, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        lines = []
        for _ in range(n):
            label = str(rng.choice(CARER_LABELS))
            words = ["i", "feel"] + list(rng.choice(FILLER, size=int(rng.integers(4, 10))))
            words.insert(int(rng.integers(2, len(words))), str(rng.choice(cues[label])))
            lines.append(f"{' '.join(words)};{label}")
        (root / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
