"""A full disk as one line: which folder, how much is free, what the run folder holds, how to go on."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

NO_SPACE_TEXT = ("No space left on device", "[Errno 28]")


def is_no_space(error: BaseException | str) -> bool:
    """Whether ``error`` (an exception, or the text of one raised inside a notebook) is a full disk."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return any(text in str(error) for text in NO_SPACE_TEXT)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def no_space_message(folder: Path, resume_command: str) -> str:
    """One line: the folder whose device is full, its free space, the run folder's size so far, what to do."""
    folder = Path(folder)
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    return (
        f"no space left on the device of {folder} ({_megabytes(free)} free; the run folder holds "
        f"{_megabytes(folder_size(folder)) if folder.exists() else 'nothing'} so far, and a model of the profile "
        f"needs room for its checkpoint beside it): free some space, then `{resume_command}` goes on"
    )
