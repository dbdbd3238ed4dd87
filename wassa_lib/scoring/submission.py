"""CodaLab submission files, exactly as the WASSA 2021 scorer reads them.

The scorer unzips a submission into ``res/`` and reads, without a header,
``predictions_EMP.tsv`` (one essay a line: empathy, tab, distress) and
``predictions_EMO.tsv`` (one emotion label a line), both in test-file order.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import EMOTIONS

EMP_FILE = "predictions_EMP.tsv"
EMO_FILE = "predictions_EMO.tsv"
ZIP_FILE = "submission.zip"


def write_emp(path: Path, empathy: Sequence[float], distress: Sequence[float]) -> Path:
    """``empathy<TAB>distress`` per line, no header."""
    empathy, distress = np.asarray(empathy, dtype=float), np.asarray(distress, dtype=float)
    if empathy.shape != distress.shape:
        raise ValueError(f"{len(empathy)} empathy but {len(distress)} distress predictions")
    if not np.isfinite(empathy).all() or not np.isfinite(distress).all():
        raise ValueError("empathy/distress predictions must be finite numbers")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{e:.6f}\t{d:.6f}\n" for e, d in zip(empathy, distress)), encoding="utf-8")
    return path


def write_emo(path: Path, emotions: Sequence[str]) -> Path:
    """One label per line, no header; every label must be one of the seven."""
    unknown = sorted(set(emotions) - set(EMOTIONS))
    if unknown:
        raise ValueError(f"predictions hold unknown label(s) {', '.join(unknown)}; expected {', '.join(EMOTIONS)}")
    path.write_text("".join(f"{label}\n" for label in emotions), encoding="utf-8")
    return path


def write_submission(directory: Path, scores: pd.DataFrame, emotions: Sequence[str], n_expected: int) -> Path:
    """Write both prediction files and the zip CodaLab takes; returns the zip's path.

    ``scores`` has columns empathy and distress; both inputs are in test-file order and must
    have ``n_expected`` rows (one per test essay).
    """
    for name, n in (("empathy/distress", len(scores)), ("emotion", len(emotions))):
        if n != n_expected:
            raise ValueError(f"{n} {name} predictions, but the test file has {n_expected} essays")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    emp = write_emp(directory / EMP_FILE, scores["empathy"], scores["distress"])
    emo = write_emo(directory / EMO_FILE, emotions)
    archive = directory / ZIP_FILE
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(emp, EMP_FILE)
        zf.write(emo, EMO_FILE)
    return archive


def read_emo(path: Path) -> list[str]:
    """The labels of a ``predictions_EMO.tsv`` file, read as the scorer reads it (first field of each line)."""
    return [line.rstrip().split("\t")[0] for line in Path(path).read_text(encoding="utf-8").splitlines()]
