"""``make mutants``: apply each mutant of ``mutants.yaml`` to a copy of the kit, run the tests that guard it,
and print ``N of N killed``; exit 1 when a mutant survives (its tests still pass) or cannot be applied."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COPIED = ("wassa_lib", "tests", "params", "notebooks", "pyproject.toml")


def apply(root: Path, mutant: dict) -> None:
    path = root / mutant["file"]
    text = path.read_text(encoding="utf-8")
    if text.count(mutant["find"]) != 1:
        raise ValueError(f"{mutant['name']}: {mutant['file']} holds {text.count(mutant['find'])} copies of `find`")
    path.write_text(text.replace(mutant["find"], mutant["replace"]), encoding="utf-8")


def killed(mutant: dict) -> bool:
    """Whether the mutant's tests fail on a copy of the kit that carries it (an empty ``find`` and
    ``replace``: the copy as it is)."""
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        root = Path(tmp)
        for name in COPIED:
            source = REPO / name
            copy = shutil.copytree if source.is_dir() else shutil.copy2
            copy(source, root / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
        if mutant["find"]:
            apply(root, mutant)
        env = {**os.environ, "PYTHONPATH": str(root)}
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *mutant["tests"]]
        return subprocess.run(command, cwd=root, env=env, capture_output=True).returncode != 0


def main() -> int:
    mutants = yaml.safe_load((Path(__file__).with_name("mutants.yaml")).read_text(encoding="utf-8"))
    start, survivors = time.perf_counter(), []
    every_test = sorted({t for m in mutants for t in m["tests"]})
    if killed({"name": "none", "file": "", "find": "", "replace": "", "tests": every_test}):
        print("the guarding tests fail on the kit as it is: fix them before counting mutants")
        return 1
    for mutant in mutants:
        dead = killed(mutant)
        print(f"{'killed  ' if dead else 'SURVIVED'} {mutant['name']}", flush=True)
        survivors += [] if dead else [mutant["name"]]
    n = len(mutants)
    print(f"{n - len(survivors)} of {n} killed in {time.perf_counter() - start:.0f} s")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
