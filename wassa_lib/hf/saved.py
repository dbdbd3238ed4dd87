"""Saved models that a cut write cannot pass for finished ones.

A model folder is complete when its record (``track1.json``, ``result.json``) exists: the record is
written last, through a temporary name and a rename, and lists the size of every file of the model.
Reading a model checks those sizes first, so a file cut short by an interrupted write (a Colab
disconnect during a write to Drive) is named in one line instead of failing deep inside safetensors;
a resumed run trains such a model again.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

CHECKPOINTS = "checkpoints"  # the Trainer's folder of checkpoints inside a model folder (hf.training)
RETRAIN = "`python -m wassa_lib run --resume` trains it again"


class DamagedModelError(RuntimeError):
    """A saved model whose files differ from what its record lists; the message is one line."""


def file_sizes(base: Path, folder: Path, record_name: str) -> dict[str, int]:
    """The size of every file under ``folder`` but the record itself and the training checkpoints (removed
    once the best model is saved), keyed by its path relative to ``base``."""
    base, folder = Path(base), Path(folder)
    return {
        p.relative_to(base).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p != base / record_name
        and not p.name.endswith(".partial")
        and CHECKPOINTS not in p.relative_to(folder).parts
    }


def check_files(base: Path, sizes: dict[str, int]) -> None:
    """Raise :class:`DamagedModelError` naming the first file under ``base`` that is missing or whose size
    is not the one recorded when it was saved."""
    for name, size in sizes.items():
        path = Path(base) / name
        actual = path.stat().st_size if path.is_file() else None
        if actual != size:
            found = "missing" if actual is None else f"{actual:,} bytes where {size:,} were saved"
            raise DamagedModelError(f"{path}: {found} (cut short by an interrupted write?)")


def check_record(record_path: Path) -> dict:
    """The record at ``record_path`` after checking the files it lists (a record without a list, written
    before sizes were recorded, is taken as it is)."""
    record_path = Path(record_path)
    if not record_path.is_file():
        raise DamagedModelError(f"{record_path}: missing, so the model beside it was never finished; {RETRAIN}")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    try:
        check_files(record_path.parent, record.get("files", {}))
    except DamagedModelError as err:
        raise DamagedModelError(f"{err}; {RETRAIN}") from None
    return record


def _fields(value: object) -> dict:
    """A typed record as JSON sees it: its fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_record(path: Path, record: dict) -> None:
    """Write ``record`` as JSON (typed records inside it as their fields) through a temporary name and a rename:
    a cut write leaves no record."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(record, indent=2, default=_fields) + "\n", encoding="utf-8")
    os.replace(partial, path)
