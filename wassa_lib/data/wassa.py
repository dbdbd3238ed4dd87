"""The released WASSA 2021 files → one normalised DataFrame per split.

Both released layouts are read:

* 2021: dev features carry personality and IRI (18 columns); the dev gold has
  3 columns (empathy, distress, emotion), no header.
* 2022: dev features carry demographics only; ``goldstandard_dev_2022.tsv`` has
  12 columns (empathy, distress, emotion, personality x5, IRI x4), no header,
  aligned with the features by row order.

Every problem with a file is raised as :class:`DataError` whose message is one
line naming the file, and where it applies the row and the column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

EMOTIONS: tuple[str, ...] = ("sadness", "anger", "neutral", "fear", "surprise", "disgust", "joy")
ID_COLUMNS = ["message_id", "response_id", "article_id"]
SCORES = ["empathy", "distress"]
DEMOGRAPHICS = ["gender", "education", "race", "age", "income"]
PERSONALITY = [
    "personality_conscientiousness",
    "personality_openess",
    "personality_extraversion",
    "personality_agreeableness",
    "personality_stability",
]
IRI = ["iri_perspective_taking", "iri_personal_distress", "iri_fantasy", "iri_empathatic_concern"]
PERSON_FEATURES = DEMOGRAPHICS + PERSONALITY + IRI
SCHEMA = ID_COLUMNS + ["essay"] + SCORES + ["emotion"] + PERSON_FEATURES
SPLITS = ("train", "dev", "test")

TRAIN_FILE = "messages_train_ready_for_WS.tsv"
DEV_FEATURE_FILES = ("messages_dev_features_ready_for_WS_2022.tsv", "messages_dev_features_ready_for_WS.tsv")
DEV_GOLD_FILES = ("goldstandard_dev_2022.tsv", "goldstandard_dev_2021.tsv", "goldstandard_dev.tsv")
TEST_FEATURE_FILE = "messages_test_features_ready_for_WS.tsv"
TEST_EMO_GOLD_FILE = "gold_standard_test_EMO.tsv"
TEST_EMP_GOLD_FILE = "gold_standard_test_EMP.tsv"
DEV_GOLD_2021 = SCORES + ["emotion"]
DEV_GOLD_2022 = DEV_GOLD_2021 + PERSONALITY + IRI


TEXT_ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark that Excel and Notepad write
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


class DataError(ValueError):
    """A released file is missing or does not hold what the loader expects."""


@dataclass(frozen=True)
class Splits:
    """The three splits in the normalised schema (test labels are NaN where no gold exists)."""

    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in SPLITS:
            raise KeyError(f"unknown split {name!r}; expected one of {SPLITS}")
        return getattr(self, name)


def _find(data_dir: Path, names: tuple[str, ...] | str) -> Path:
    names = (names,) if isinstance(names, str) else names
    for name in names:
        if (data_dir / name).is_file():
            return data_dir / name
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: data directory not found (set WASSA_DATA_DIR or the data_dir parameter)")
    found = sorted(p.name for p in data_dir.iterdir() if p.suffix in {".tsv", ".csv", ".txt"})
    raise DataError(f"{data_dir / names[0]}: file not found; found instead: {', '.join(found) or 'no data files'}")


def check_encoding(path: Path) -> None:
    """Refuse a text file the loaders cannot read as UTF-8, naming its encoding where a byte-order mark
    tells it (UTF-16, what some Windows programs save as "Unicode text")."""
    with Path(path).open("rb") as handle:
        head = handle.read(4)
    if head.startswith(_UTF16_MARKS):
        raise DataError(f"{path}: encoded as UTF-16; save it as UTF-8 (with or without a byte-order mark)")


def read_text(path: Path) -> str:
    """A whole text file as UTF-8 (a byte-order mark dropped); one line naming the file where it is not."""
    check_encoding(path)
    try:
        return Path(path).read_text(encoding=TEXT_ENCODING)
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); save it as UTF-8") from None


def _first_row(path: Path) -> tuple[list[str], bool]:
    """The first line's fields and whether it is a header (its first field is not a number)."""
    check_encoding(path)
    with path.open(encoding=TEXT_ENCODING) as handle:
        first = handle.readline().rstrip("\r\n")
    if not first:
        raise DataError(f"{path}: file is empty")
    fields = first.split("\t")
    try:
        float(fields[0])
    except ValueError:
        return fields, True
    return fields, False


def _read_tsv(path: Path, names: list[str] | None = None) -> pd.DataFrame:
    check_encoding(path)
    try:
        return pd.read_csv(
            path,
            sep="\t",
            header=None if names else 0,
            names=names,
            dtype=str,
            keep_default_na=False,
            quoting=3,
            encoding=TEXT_ENCODING,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as tab-separated text ({str(err).splitlines()[0]})") from None


def _require(df: pd.DataFrame, path: Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}")


def _line(i: int, has_header: bool) -> int:
    """The 1-based line of row ``i`` in the file."""
    return i + (2 if has_header else 1)


def _to_numeric(df: pd.DataFrame, path: Path, columns: list[str], has_header: bool) -> None:
    for col in columns:
        values = pd.to_numeric(df[col].str.strip(), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{path}: line {_line(i, has_header)}, column {col}: expected a number, found {df[col].iloc[i]!r}"
            )
        df[col] = values.astype(float)


def _check_essays(df: pd.DataFrame, path: Path) -> None:
    empty = np.flatnonzero(df["essay"].str.strip().eq("").to_numpy())
    if len(empty):
        raise DataError(f"{path}: line {_line(int(empty[0]), True)}, column essay: empty essay")


def _check_unique_ids(df: pd.DataFrame, path: Path) -> None:
    """Each ``message_id`` once: a repeated essay could land on both sides of the train/validation split."""
    ids = df["message_id"].str.strip()
    repeated = np.flatnonzero(ids.duplicated().to_numpy())
    if len(repeated):
        i = int(repeated[0])
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        raise DataError(
            f"{path}: line {_line(i, True)}, column message_id: {ids.iloc[i]!r} repeats line {_line(first, True)}"
        )


def _check_emotions(df: pd.DataFrame, path: Path, has_header: bool) -> None:
    df["emotion"] = df["emotion"].str.strip()
    bad = np.flatnonzero(~df["emotion"].isin(EMOTIONS).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{path}: line {_line(i, has_header)}, column emotion: unknown label "
            f"{df['emotion'].iloc[i]!r}; expected one of {', '.join(EMOTIONS)}"
        )


def _same_length(features: pd.DataFrame, fpath: Path, gold: pd.DataFrame, gpath: Path) -> None:
    if len(features) != len(gold):
        raise DataError(
            f"{gpath}: {len(gold)} rows, but {fpath.name} has {len(features)}; gold and features must align row by row"
        )


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    for col in SCHEMA:
        if col not in df.columns:
            df[col] = np.nan
    out = df[SCHEMA].reset_index(drop=True)
    out["article_id"] = out["article_id"].astype(str)
    return out


def load_train(data_dir: Path) -> pd.DataFrame:
    """The training file with gold scores, emotion and person features."""
    path = _find(data_dir, TRAIN_FILE)
    df = _read_tsv(path)
    _require(df, path, ID_COLUMNS + ["essay"] + SCORES + ["emotion"] + PERSON_FEATURES)
    _check_unique_ids(df, path)
    _check_essays(df, path)
    _to_numeric(df, path, SCORES + PERSON_FEATURES, has_header=True)
    _check_emotions(df, path, has_header=True)
    return _normalise(df)


def load_dev(data_dir: Path) -> pd.DataFrame:
    """Dev features merged with the dev gold, in either released layout."""
    fpath = _find(data_dir, DEV_FEATURE_FILES)
    gpath = _find(data_dir, DEV_GOLD_FILES)
    features = _read_tsv(fpath)
    _require(features, fpath, ID_COLUMNS + ["essay"] + DEMOGRAPHICS)
    _check_unique_ids(features, fpath)
    _check_essays(features, fpath)
    first, has_header = _first_row(gpath)
    width = len(first)
    if width == len(DEV_GOLD_2022):
        gold_cols = DEV_GOLD_2022
    elif width == len(DEV_GOLD_2021):
        gold_cols = DEV_GOLD_2021
        _require(features, fpath, PERSONALITY + IRI)
    else:
        raise DataError(
            f"{gpath}: {width} columns; expected {len(DEV_GOLD_2021)} (2021 layout: "
            f"{', '.join(DEV_GOLD_2021)}) or {len(DEV_GOLD_2022)} (2022 layout)"
        )
    gold = _read_tsv(gpath, names=gold_cols) if not has_header else _read_tsv(gpath).set_axis(gold_cols, axis=1)
    _same_length(features, fpath, gold, gpath)
    _to_numeric(gold, gpath, [c for c in gold_cols if c != "emotion"], has_header)
    _check_emotions(gold, gpath, has_header)
    merged = features.drop(columns=[c for c in gold_cols if c in features.columns]).reset_index(drop=True)
    merged = pd.concat([merged, gold.reset_index(drop=True)], axis=1)
    _to_numeric(merged, fpath, DEMOGRAPHICS + ([] if gold_cols is DEV_GOLD_2022 else PERSONALITY + IRI), True)
    return _normalise(merged)


def load_test(data_dir: Path) -> pd.DataFrame:
    """Test features; emotion from the released test gold, scores from a user-supplied EMP gold."""
    fpath = _find(data_dir, TEST_FEATURE_FILE)
    df = _read_tsv(fpath)
    _require(df, fpath, ID_COLUMNS + ["essay"] + PERSON_FEATURES)
    _check_unique_ids(df, fpath)
    _check_essays(df, fpath)
    _to_numeric(df, fpath, PERSON_FEATURES, has_header=True)
    emo_path = data_dir / TEST_EMO_GOLD_FILE
    if emo_path.is_file():
        gold = _read_tsv(emo_path)
        _require(gold, emo_path, ["emotion"])
        _same_length(df, fpath, gold, emo_path)
        _check_emotions(gold, emo_path, has_header=True)
        df["emotion"] = gold["emotion"].to_numpy()
    emp_path = data_dir / TEST_EMP_GOLD_FILE
    if emp_path.is_file():
        _, has_header = _first_row(emp_path)
        gold = _read_tsv(emp_path) if has_header else _read_tsv(emp_path, names=SCORES)
        if has_header:
            _require(gold, emp_path, SCORES)
        _same_length(df, fpath, gold, emp_path)
        _to_numeric(gold, emp_path, SCORES, has_header)
        df[SCORES] = gold[SCORES].to_numpy()
    return _normalise(df)


def load_splits(data_dir: str | os.PathLike) -> Splits:
    """Train, dev and test from one data directory."""
    root = Path(data_dir)
    return Splits(train=load_train(root), dev=load_dev(root), test=load_test(root))


def has_test_scores(test: pd.DataFrame) -> bool:
    """Whether a test empathy/distress gold was supplied."""
    return bool(test[SCORES].notna().all().all())


def train_validation_split(
    train: pd.DataFrame, valid_fraction: float = 0.2, seed: int = 42, max_train_samples: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's seeded 80/20 split of the training file into a fit part and a validation part, stratified
    by emotion; ``max_train_samples`` then caps the fit part (the validation part stays whole).

    Every notebook splits through this function, so both tracks train and select on the same essays.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must lie in (0, 1), got {valid_fraction}")
    fit, valid = train_test_split(train, test_size=valid_fraction, random_state=seed, stratify=train["emotion"])
    return subsample(fit.reset_index(drop=True), max_train_samples, seed), valid.reset_index(drop=True)


def subsample(df: pd.DataFrame, n: int | None, seed: int = 42) -> pd.DataFrame:
    """At most ``n`` rows (all when ``n`` is None), keeping every emotion present where possible."""
    if n is None or n >= len(df):
        return df
    if n <= 0:
        raise ValueError(f"sample size must be positive, got {n}")
    frac = n / len(df)
    picked = df.groupby("emotion", group_keys=False).sample(frac=frac, random_state=seed)
    rest = df.drop(picked.index)
    if len(picked) < n:
        picked = pd.concat([picked, rest.sample(n - len(picked), random_state=seed)])
    return picked.head(n).reset_index(drop=True)
