"""Score new essays with a finished run's saved models: empathy, distress and emotion per essay."""

from __future__ import annotations

import csv
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import PERSON_FEATURES, TEXT_ENCODING, DataError, check_encoding
from wassa_lib.hf.saved import DamagedModelError

logger = logging.getLogger(__name__)
CHUNK = 256
PREDICTED = ("empathy", "distress", "emotion")
PREFIX = "predicted_"
# What a finished run holds for predict, and the notebook that writes each file.
RUN_FILES = {
    "artifacts/track1/encoders.json": "02",
    "artifacts/track1/empathy_model/track1.json": "02",
    "artifacts/track1/distress_model/track1.json": "02",
    "artifacts/track1/regressor_selection.json": "03",
    "artifacts/track1/best_regressor.joblib": "03",
    "artifacts/track1/text_only_regressor.joblib": "03",
    "artifacts/track2/model_selection.json": "04",
}


def _record_lines(path: Path, sep: str) -> list[int]:
    """The physical line on which each record (after the header) starts; a quoted essay may span lines."""
    starts, previous_end = [], 1
    with path.open(encoding=TEXT_ENCODING, newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        next(reader, None)
        previous_end = reader.line_num
        for _ in reader:
            starts.append(previous_end + 1)
            previous_end = reader.line_num
    return starts


def read_essays(path: Path) -> pd.DataFrame:
    """A CSV or TSV file with an ``essay`` column; other columns (person features among them) are kept.

    Person-feature columns must hold numbers; a blank value is allowed (that essay is then scored
    with the text-only regressor). Errors name the file, the physical line and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    check_encoding(path)
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=TEXT_ENCODING)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(
            f"{path}: cannot be read as {'TSV' if sep == chr(9) else 'CSV'} ({str(err).splitlines()[0]})"
        ) from None
    if "essay" not in df.columns:
        raise DataError(f"{path}: missing column essay; found {', '.join(map(str, df.columns)) or 'no columns'}")
    if df.empty:
        raise DataError(f"{path}: no essays")
    lines = None

    def line(i: int) -> int:
        nonlocal lines
        lines = lines or _record_lines(path, sep)
        return lines[i] if i < len(lines) else i + 2

    empty = np.flatnonzero(df["essay"].str.strip().eq("").to_numpy())
    if len(empty):
        raise DataError(f"{path}: line {line(int(empty[0]))}, column essay: empty essay")
    for column in [c for c in PERSON_FEATURES if c in df.columns]:
        text = df[column].str.strip()
        bad = np.flatnonzero((pd.to_numeric(text, errors="coerce").isna() & text.ne("")).to_numpy())
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{path}: line {line(i)}, column {column}: expected a number or a blank, found {df[column].iloc[i]!r}"
            )
    return df


def default_output(input_path: Path) -> Path:
    """``<input>.predictions.csv`` beside the input."""
    input_path = Path(input_path)
    return input_path.with_name(f"{input_path.stem}.predictions.csv")


def check_run(run_dir: Path) -> None:
    """One line naming the first file a finished run should hold and this one lacks."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: no such run folder")
    for name, notebook in RUN_FILES.items():
        if not (run_dir / name).is_file():
            raise DataError(
                f"{run_dir}: not a finished run: {name} is missing (notebook {notebook} writes it); "
                "finish the run with `python -m wassa_lib run ... --resume`"
            )


def check_output(target: Path, source: Path, overwrite: bool) -> None:
    """Refuse an output that would replace the input, an existing file (without ``overwrite``), a folder,
    or a path whose folder does not exist: before any scoring."""
    if target.resolve() == source.resolve():
        raise DataError(f"{target}: the output would overwrite the input; choose another --output")
    if target.is_dir():
        raise DataError(f"{target}: is a folder; give a file name for --output")
    if not target.parent.is_dir():
        raise DataError(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise DataError(f"{target}: exists; pass --overwrite to replace it or choose another --output")


def predict_frame(run_dir: Path, essays: pd.DataFrame, echo: Callable[[str], None] = logger.info) -> pd.DataFrame:
    """Empathy, distress and emotion for every row of ``essays``, in input order, in chunks with progress."""
    from wassa_lib.track1.predict import predict_scores
    from wassa_lib.track2 import predict_emotions

    parts = []
    for start in range(0, len(essays), CHUNK):
        chunk = essays.iloc[start : start + CHUNK].reset_index(drop=True)
        scores = predict_scores(run_dir, chunk)
        scores["emotion"] = predict_emotions(run_dir, chunk["essay"].tolist())
        parts.append(scores)
        echo(f"scored {min(start + CHUNK, len(essays))}/{len(essays)} essays")
    return pd.concat(parts, ignore_index=True)


def output_columns(input_columns) -> dict[str, str]:
    """The output column of each prediction: ``empathy`` ..., or ``predicted_empathy`` ... where the input
    already has a column of that name (the input's columns are kept as they are)."""
    clash = any(name in input_columns for name in PREDICTED)
    return {name: f"{PREFIX}{name}" if clash else name for name in PREDICTED}


def main_predict(run_dir: str, input_path: str, output: str | None, overwrite: bool) -> int:
    """CLI entry: one-line errors and exit status 2 on bad input; never writes over the input."""
    say = lambda message: print(message, file=sys.stderr)  # noqa: E731
    source = Path(input_path)
    target = Path(output) if output else default_output(source)
    try:
        check_run(Path(run_dir))
        check_output(target, source, overwrite)
        essays = read_essays(source)
        names = output_columns(essays.columns)
        if names["emotion"] != "emotion":
            say(
                f"the input has a column named {', '.join(n for n in PREDICTED if n in essays.columns)}: "
                f"the predictions are written as {', '.join(names.values())}"
            )
        result = predict_frame(Path(run_dir), essays, echo=say)
    except (DataError, FileNotFoundError, DamagedModelError) as err:
        say(f"error: {str(err).splitlines()[0]}")
        return 2
    out = essays.copy()
    for name, column in names.items():
        out[column] = result[name].to_numpy()
    out.to_csv(target, index=False)
    say(f"wrote {len(out)} predictions to {target}")
    return 0
