"""What moved between two commits: every Table-2 and Table-4 number of two benchmarked runs of one seed side by
side (``python -m wassa_lib bench-numbers``), so a speed-up is read beside what it did to the results."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from wassa_lib.runner.params import RunError
from wassa_lib.settings.layout import manifest_path, table_path

logger = logging.getLogger(__name__)
ROW_NAMES = {"table2": "system", "table4": "model"}  # the column that names a row of each table
NOT_RESULTS = ("train_s",)  # times, not results; the paper's columns and booleans are left out too
COLUMNS = ["table", "row", "number", "commit", "value", "baseline_commit", "baseline_value", "difference"]


def _commit(run: Path) -> str:
    path = manifest_path(run)
    if not path.is_file():
        raise RunError(f"{run}: no finished run (no manifest.json)")
    return json.loads(path.read_text(encoding="utf-8"))["git_commit"][:7]


def _numbers(run: Path, name: str) -> pd.DataFrame:
    """One row per (row, number) of table ``name`` of ``run``: the kit's rows by name, their result columns."""
    path = table_path(run, name)
    if not path.is_file():
        raise RunError(f"{path}: missing; benchmark the whole profile (notebooks 03 and 04 write it)")
    table = pd.read_csv(path)
    if "source" in table:
        table = table[table["source"] == "this kit"]
    values = [
        c
        for c in table.select_dtypes("number").columns
        if table[c].dtype != bool and not c.startswith("paper") and c not in NOT_RESULTS
    ]
    long = table.set_index(ROW_NAMES[name])[values].stack(future_stack=True).rename("value").reset_index()
    return long.set_axis(["row", "number", "value"], axis=1).assign(table=name)


def number_changes(run: Path, baseline: Path) -> pd.DataFrame:
    """Every Table-2/4 number of ``run`` beside ``baseline``'s (rows and numbers both have), with the difference."""
    commit, baseline_commit = _commit(run), _commit(baseline)
    merged = [
        _numbers(run, name).merge(_numbers(baseline, name), on=["table", "row", "number"], suffixes=("", "_b"))
        for name in ROW_NAMES
    ]
    frame = pd.concat(merged, ignore_index=True).rename(columns={"value_b": "baseline_value"})
    frame = frame[frame[["value", "baseline_value"]].notna().any(axis=1)]  # a number neither run has
    frame = frame.assign(
        commit=commit,
        baseline_commit=baseline_commit,
        difference=(frame["value"] - frame["baseline_value"]).round(4),
    )
    return frame[COLUMNS].reset_index(drop=True)


def differs(frame: pd.DataFrame) -> pd.Series:
    """Which numbers of :func:`number_changes` moved, or exist at one commit only."""
    return (frame["difference"].abs() > 0) | (frame["value"].isna() != frame["baseline_value"].isna())


def write_number_changes(run: Path, baseline: Path, output: Path) -> Path:
    """:func:`number_changes` as ``output`` (CSV)."""
    frame = number_changes(Path(run), Path(baseline))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False)
    logger.info("%d numbers, %d differ; wrote %s", len(frame), int(differs(frame).sum()), output)
    return output
