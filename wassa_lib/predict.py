"""Score new essays with a finished run's saved models: empathy, distress and emotion per essay."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .data import DataError

CHUNK = 256


def read_essays(path: Path) -> pd.DataFrame:
    """A CSV or TSV file with an ``essay`` column (other columns, e.g. person features, are kept)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    try:
        df = pd.read_csv(path, sep=sep, dtype={"essay": str}, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as {'TSV' if sep == chr(9) else 'CSV'} "
                        f"({str(err).splitlines()[0]})") from None
    if "essay" not in df.columns:
        raise DataError(f"{path}: missing column essay; found {', '.join(map(str, df.columns)) or 'no columns'}")
    empty = np.flatnonzero(df["essay"].astype(str).str.strip().eq("").to_numpy())
    if len(empty):
        raise DataError(f"{path}: line {int(empty[0]) + 2}, column essay: empty essay")
    if df.empty:
        raise DataError(f"{path}: no essays")
    return df


def default_output(input_path: Path) -> Path:
    """``<input>.predictions.csv`` beside the input."""
    input_path = Path(input_path)
    return input_path.with_name(f"{input_path.stem}.predictions.csv")


def predict_frame(run_dir: Path, essays: pd.DataFrame, echo: Callable[[str], None] = print) -> pd.DataFrame:
    """Empathy, distress and emotion for every row of ``essays``, in input order, in chunks with progress."""
    from .track1 import predict_scores
    from .track2 import predict_emotions

    parts = []
    for start in range(0, len(essays), CHUNK):
        chunk = essays.iloc[start:start + CHUNK].reset_index(drop=True)
        scores = predict_scores(run_dir, chunk)
        scores["emotion"] = predict_emotions(run_dir, chunk["essay"].tolist())
        parts.append(scores)
        echo(f"scored {min(start + CHUNK, len(essays))}/{len(essays)} essays")
    return pd.concat(parts, ignore_index=True)


def main_predict(run_dir: str, input_path: str, output: str | None, overwrite: bool) -> int:
    """CLI entry: one-line errors and exit status 2 on bad input; never writes over the input."""
    source = Path(input_path)
    target = Path(output) if output else default_output(source)
    try:
        if not (Path(run_dir) / "artifacts").is_dir():
            raise DataError(f"{run_dir}: not a finished run (no artifacts/); run `python -m wassa_lib run` first")
        if target.resolve() == source.resolve():
            raise DataError(f"{target}: the output would overwrite the input; choose another --output")
        if target.exists() and not overwrite:
            raise DataError(f"{target}: exists; pass --overwrite to replace it or choose another --output")
        essays = read_essays(source)
        result = predict_frame(Path(run_dir), essays, echo=lambda m: print(m, file=sys.stderr))
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = essays.copy()
    out[["empathy", "distress", "emotion"]] = result[["empathy", "distress", "emotion"]].to_numpy()
    out.to_csv(target, index=False)
    print(f"wrote {len(out)} predictions to {target}", file=sys.stderr)
    return 0
