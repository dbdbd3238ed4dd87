"""What a Track-2 model reads: the essay alone, or the person features written out in words before it.

The paper's conclusion names the person features (demographics, personality, IRI) as future work for
Track 2. A row with ``person_features: true`` gives them to the model the only way a text model can take
them without a new head: as text, ``"age 35, gender 1, ...; personality: ...; IRI: ...; essay: <essay>"``.
"""

from __future__ import annotations

import pandas as pd

from wassa_lib.data.wassa import DEMOGRAPHICS, IRI, PERSON_FEATURES, PERSONALITY

_WORDS = {
    **{name: name for name in DEMOGRAPHICS},
    **{name: name.removeprefix("personality_").replace("openess", "openness") for name in PERSONALITY},
    **{name: name.removeprefix("iri_").replace("_", " ").replace("empathatic", "empathic") for name in IRI},
}


def _value(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def person_text(row: pd.Series) -> str:
    """``"age 35, gender 1, ...; personality: conscientiousness 5.5, ...; IRI: perspective taking 3.2, ..."``"""
    groups = (("", DEMOGRAPHICS), ("personality: ", PERSONALITY), ("IRI: ", IRI))
    return "; ".join(prefix + ", ".join(f"{_WORDS[c]} {_value(row[c])}" for c in columns) for prefix, columns in groups)


def model_inputs(frame: pd.DataFrame, person_features: bool) -> list[str]:
    """The texts a model reads for the essays of ``frame``: the essays, or with ``person_features`` each
    essay after its writer's person features in words. A missing column or value is one line naming it."""
    if not person_features:
        return frame["essay"].tolist()
    missing = [c for c in PERSON_FEATURES if c not in frame.columns]
    if missing:
        raise KeyError(f"this Track-2 model reads the person features; the input lacks the column {missing[0]}")
    person = frame[PERSON_FEATURES].apply(lambda column: pd.to_numeric(column, errors="coerce"))
    blank = person.isna()
    if blank.any(axis=None):
        row, column = blank.stack()[lambda s: s].index[0]
        raise ValueError(f"this Track-2 model reads the person features; row {row} has no number in {column}")
    return [f"{person_text(row)}; essay: {essay}" for (_, row), essay in zip(person.iterrows(), frame["essay"])]
