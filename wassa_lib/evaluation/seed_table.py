"""The columns of a table over seeds (``tables/<name>_seeds.csv``): every number's mean and standard deviation
over the seeds, and the headline number of each seed; written by :func:`wassa_lib.evaluation.seeds.aggregate`,
read by the plots and the report through these names alone."""

from __future__ import annotations

import pandas as pd


def mean_of(number: str) -> str:
    """The column of a table over seeds holding the mean of ``number``."""
    return f"{number}_mean"


def sd_of(number: str) -> str:
    """The column of a table over seeds holding the standard deviation of ``number`` over the seeds."""
    return f"{number}_sd"


def seed_column(headline: str, seed: int) -> str:
    """The column of a table over seeds holding one seed's ``headline`` number."""
    return f"{headline}_seed{seed}"


def seed_columns(table: pd.DataFrame, headline: str) -> dict[int, str]:
    """Each seed of a table over seeds and the column holding its ``headline`` number."""
    prefix = seed_column(headline, 0)[:-1]
    return {int(c.removeprefix(prefix)): c for c in table.columns if c.startswith(prefix)}
