"""The library stays easy to take over: small modules and functions, and imports that go one way."""
from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "wassa_lib"
MODULES = {".".join(p.relative_to(LIB.parent).with_suffix("").parts).removesuffix(".__init__"): p
           for p in sorted(LIB.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The kit's modules that ``name`` imports, at its top or inside a function."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + [node.module or ""]).strip(".") \
                if node.level else node.module
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                if target in MODULES and target != name:
                    found.add(target)
    return found


def test_no_module_over_350_lines_and_no_function_over_60():
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 350, path.name
        long = [f.name for f in ast.walk(ast.parse(text)) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                and f.end_lineno - f.lineno + 1 > 60]
        assert not long, (path.name, long)


def test_no_import_circle_even_through_imports_inside_functions():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and not seen.add(n) and reaches(n, goal, seen)) for n in graph[start])

    assert "wassa_lib.track1" in graph["wassa_lib.track1_predict"]  # the graph sees the kit's imports
    assert [name for name in graph if reaches(name, name, set())] == []
