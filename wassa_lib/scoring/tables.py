"""Tables: saved as CSV (what tests and the README read) plus a Markdown rendering; the data tables of notebook 01."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import EMOTIONS, Splits
from wassa_lib.scoring import paper
from wassa_lib.settings.layout import metrics_path, require_file


def save_table(df: pd.DataFrame, tables_dir: Path, name: str, floatfmt: str = ".4f") -> Path:
    """Write ``<name>.csv`` and ``<name>.md`` into ``tables_dir``; returns the CSV path."""
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    csv = tables_dir / f"{name}.csv"
    df.to_csv(csv, index=False)
    (tables_dir / f"{name}.md").write_text(df.to_markdown(index=False, floatfmt=floatfmt) + "\n", encoding="utf-8")
    return csv


def save_metrics(metrics: dict, out_dir: Path, name: str) -> Path:
    """Write a notebook's headline numbers as ``metrics/<name>.json`` (what tests and the README read)."""
    path = metrics_path(out_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
    return path


@dataclass
class Record:
    """A notebook's record, ``metrics/<notebook>.json``: typed, written and read by the library; subclasses name
    the notebook and its fields."""

    NOTEBOOK: ClassVar[str] = ""

    def save(self, run_dir: Path) -> Path:
        return save_metrics(asdict(self), run_dir, self.NOTEBOOK)

    @classmethod
    def load(cls, run_dir: Path):
        data = json.loads(
            require_file(metrics_path(run_dir, cls.NOTEBOOK), f"notebook {cls.NOTEBOOK}").read_text(encoding="utf-8")
        )
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


def table1(splits: Splits) -> pd.DataFrame:
    """The paper's Table 1 (emotion counts per split) recomputed, beside the paper's own numbers."""
    rows = []
    for emotion in EMOTIONS:
        train = int((splits.train["emotion"] == emotion).sum())
        dev = int((splits.dev["emotion"] == emotion).sum())
        rows.append(
            {
                "emotion": emotion,
                "train": train,
                "paper_train": paper.TABLE1_TRAIN[emotion],
                "dev": dev,
                "paper_dev": paper.TABLE1_DEV[emotion],
            }
        )
    rows.append(
        {
            "emotion": "Total",
            "train": len(splits.train),
            "paper_train": paper.TABLE1_TOTALS["train"],
            "dev": len(splits.dev),
            "paper_dev": paper.TABLE1_TOTALS["dev"],
        }
    )
    df = pd.DataFrame(rows)
    df["train_matches_paper"] = df["train"] == df["paper_train"]
    df["dev_matches_paper"] = df["dev"] == df["paper_dev"]
    return df


def essay_lengths(splits: Splits) -> pd.DataFrame:
    """Essay length in whitespace words and characters, per split."""
    rows = []
    for name in ("train", "dev", "test"):
        essays = splits[name]["essay"]
        words = essays.str.split().str.len()
        chars = essays.str.len()
        rows.append(
            {
                "split": name,
                "essays": len(essays),
                "words_mean": words.mean(),
                "words_median": words.median(),
                "words_max": int(words.max()),
                "chars_mean": chars.mean(),
                "chars_min": int(chars.min()),
                "chars_max": int(chars.max()),
            }
        )
    return pd.DataFrame(rows)


def score_correlation(df: pd.DataFrame) -> float:
    """Pearson correlation between gold empathy and distress (the premise of parameter sharing)."""
    return float(np.corrcoef(df["empathy"], df["distress"])[0, 1])


def example_essays(df: pd.DataFrame, n: int = 3, seed: int = 42, width: int = 300) -> pd.DataFrame:
    """``n`` essays drawn at random (one per emotion where possible), cut at ``width`` characters, with
    their two scores and their emotion."""
    picked = df.sample(frac=1.0, random_state=seed).drop_duplicates("emotion").head(n)
    essays = picked["essay"].str.replace(r"\s+", " ", regex=True)
    cut = essays.where(essays.str.len() <= width, essays.str.slice(0, width) + " …")
    return pd.DataFrame(
        {"essay": cut, "empathy": picked["empathy"], "distress": picked["distress"], "emotion": picked["emotion"]}
    ).reset_index(drop=True)


def person_correlations(df: pd.DataFrame) -> pd.DataFrame:
    """Pearson of each person feature (demographics, personality, IRI) with empathy and with distress,
    strongest first."""
    from wassa_lib.data.wassa import PERSON_FEATURES, SCORES

    rows = [
        {"feature": f, **{s: float(df[f].astype(float).corr(df[s].astype(float))) for s in SCORES}}
        for f in PERSON_FEATURES
    ]
    out = pd.DataFrame(rows)
    return out.reindex(out[list(SCORES)].abs().max(axis=1).sort_values(ascending=False).index).reset_index(drop=True)
