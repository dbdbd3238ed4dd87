"""The CARER English emotion data (Saravia et al., 2018): ``train/val/test.txt`` of ``text;label`` lines.

This is the data the public checkpoint ``mrm8488/t5-base-finetuned-emotion`` was
fine-tuned on, so the paper's "task-specific incremental fine-tuning" can be run
from any base model: stage 1 on CARER, stage 2 on WASSA. Its six labels include
``love``, which WASSA lacks, and lack WASSA's ``neutral`` and ``disgust``.

Frames use the WASSA column names (``essay`` for the text, ``emotion`` for the
label) so the same tokenising and training code reads both. Every problem with a
file is raised as :class:`~wassa_lib.data.wassa.DataError` whose message is one line
naming the file and, where it applies, the line and the column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wassa_lib.data.wassa import DataError, read_text

CARER_LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
CARER_FILES = {"train": "train.txt", "val": "val.txt", "test": "test.txt"}


@dataclass(frozen=True)
class CarerSplits:
    """CARER train, validation and test as frames with columns ``essay`` and ``emotion``."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def read_carer_file(path: str | os.PathLike) -> pd.DataFrame:
    """One CARER file: each non-empty line is ``text;label`` (the last ``;`` separates the label)."""
    path = Path(path)
    lines = read_text(path).splitlines()
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, sep, label = line.rpartition(";")
        if not sep or not text.strip():
            raise DataError(f"{path}: line {number}: expected 'text;label', found {line[:60]!r}")
        label = label.strip()
        if label not in CARER_LABELS:
            raise DataError(
                f"{path}: line {number}, column label: unknown label {label!r}; "
                f"expected one of {', '.join(CARER_LABELS)}"
            )
        rows.append((text.strip(), label))
    if not rows:
        raise DataError(f"{path}: file is empty")
    return pd.DataFrame(rows, columns=["essay", "emotion"])


def load_carer(directory: str | os.PathLike) -> CarerSplits:
    """``train.txt``, ``val.txt`` and ``test.txt`` from one directory."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"{root}: CARER data directory not found (set CARER_DATA_DIR or the carer_dir parameter)")
    frames = {}
    for split, name in CARER_FILES.items():
        path = root / name
        if not path.is_file():
            found = sorted(p.name for p in root.iterdir() if p.is_file())
            raise DataError(f"{path}: file not found; found instead: {', '.join(found) or 'no files'}")
        frames[split] = read_carer_file(path)
    return CarerSplits(**frames)


def download_carer(target: str | os.PathLike, name: str = "dair-ai/emotion") -> Path:
    """The CARER release from the Hugging Face hub (``dair-ai/emotion``, configuration ``split``: the same
    16000/2000/2000 lines) written as ``train/val/test.txt`` in ``target``; kept where already written."""
    target = Path(target)
    if all((target / f).is_file() for f in CARER_FILES.values()):
        return target
    from datasets import load_dataset

    try:
        release = load_dataset(name, "split")
    except Exception as err:  # the hub's errors vary by version and cause: one line for the user
        raise DataError(
            f"{name}: the CARER data could not be loaded from the hub ({str(err).splitlines()[0]}); "
            "put train.txt, val.txt and test.txt in a folder and set carer_dir"
        ) from None
    target.mkdir(parents=True, exist_ok=True)
    for split, file in (("train", "train.txt"), ("validation", "val.txt"), ("test", "test.txt")):
        names = release[split].features["label"].names
        lines = [f"{row['text']};{names[row['label']]}" for row in release[split]]
        (target / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
