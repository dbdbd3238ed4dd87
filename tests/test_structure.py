"""The library stays easy to take over: small modules and functions, and imports that go one way."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "wassa_lib"
MODULES = {
    ".".join(p.relative_to(LIB.parent).with_suffix("").parts).removesuffix(".__init__"): p
    for p in sorted(LIB.rglob("*.py"))
}


def _imports(name: str, path: Path) -> set[str]:
    """The kit's modules that ``name`` imports, at its top or inside a function."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = (
                ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".")
                if node.level
                else node.module
            )
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                if target in MODULES and target != name:
                    found.add(target)
    return found


def test_no_module_over_450_lines_and_no_function_over_90():
    """In ruff-formatted lines (one argument per line where a call wraps)."""
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 450, path.name
        long = [
            f.name
            for f in ast.walk(ast.parse(text))
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.end_lineno - f.lineno + 1 > 90
        ]
        assert not long, (path.name, long)


def test_no_import_circle_even_through_imports_inside_functions():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and not seen.add(n) and reaches(n, goal, seen)) for n in graph[start])

    assert "wassa_lib.track1.finetune" in graph["wassa_lib.track1.predict"]  # the graph sees the kit's imports
    assert [name for name in graph if reaches(name, name, set())] == []


# The pipeline's stages, lowest first: a folder may import only from itself and the folders before it.
STAGES = ["data", "settings", "hf", "scoring", "track1", "track2", "evaluation", "runner", "reporting"]


def _stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


def test_folders_import_only_downward():
    upward = []
    for name, path in MODULES.items():
        here = _stage(name)
        if here is None:
            continue
        upward += [
            (name, target) for target in _imports(name, path) if _stage(target) is not None and _stage(target) > here
        ]
    assert upward == []


def test_folder_order_test_sees_an_upward_import(tmp_path):
    assert _stage("wassa_lib.track1.table2") > _stage("wassa_lib.hf.training")
    assert "wassa_lib.data.wassa" in _imports("wassa_lib.track2.inputs", MODULES["wassa_lib.track2.inputs"])


def test_top_level_holds_the_stage_folders_and_entry_points_only():
    entries = sorted(p.name for p in LIB.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 12, entries
    assert sorted(p.name for p in LIB.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(STAGES)
    for stage in STAGES:
        doc = (LIB / stage / "__init__.py").read_text(encoding="utf-8")
        assert "Imports" in doc, stage
