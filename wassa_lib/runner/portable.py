"""Records that name no folder of the recording machine.

A run's manifest and executed notebooks name the run folder relative to the repository (``outputs/cpu``; a
folder elsewhere by its own name) and each data folder by its name (``wassa2021``, ``emotion_carer``), whose
files the manifest lists with their sha256. The paths themselves stay in memory while the run goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from wassa_lib.settings.configs import REPO_ROOT


def shown(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it, else its last name."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name


def names(out: Path, data_dirs: Sequence[Path]) -> dict[str, str]:
    """What each machine path of a run is written as, longest first (a folder before the folders holding it)."""
    found = {str(Path(d).resolve()): Path(d).resolve().name for d in data_dirs}
    found[str(Path(out).resolve())] = shown(out)
    found[str(REPO_ROOT) + os.sep] = ""
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


def portable_text(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def portable_json(value, replacements: dict[str, str]):
    """``value`` (JSON-like) with every machine path in its strings written as :func:`names` says."""
    return json.loads(portable_text(json.dumps(value), replacements))


def make_portable(path: Path, replacements: dict[str, str]) -> None:
    """Rewrite the file at ``path`` (an executed notebook) with its machine paths made portable."""
    text = path.read_text(encoding="utf-8")
    portable = portable_text(text, replacements)
    if portable != text:
        path.write_text(portable, encoding="utf-8")
