"""What the README, the docs and the notebooks' text name exists: library paths resolve, the glossary is linked."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOTTED = re.compile(r"\bwassa_lib(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _texts() -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[path.name] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return texts


def resolves(dotted: str) -> bool:
    """Whether ``wassa_lib.x.y...`` names a package, a module, or a name defined at a module's top level."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if not module.is_file():
            continue
        rest = parts[cut:]
        if not rest:
            return True
        source = module.read_text(encoding="utf-8")
        defined = re.search(rf"^(?:def|class) {rest[0]}\b|^{rest[0]}\s*[:=]|^    def {rest[0]}\b", source, re.M)
        return defined is not None and len(rest) <= 2
    return False


def test_every_library_path_the_text_names_exists():
    missing = [f"{name}: {dotted}" for name, text in _texts().items() for dotted in set(DOTTED.findall(text))]
    assert [m for m in missing if not resolves(m.split(": ", 1)[1])] == []


def test_the_check_sees_a_moved_name():
    assert resolves("wassa_lib.track1.predict.predict_scores") and resolves("wassa_lib.hf.pooling")
    assert not resolves("wassa_lib.track1.predict_scores") and not resolves("wassa_lib.track1.predict.nothing_here")


def test_the_readme_and_every_notebook_link_the_glossary():
    unlinked = [name for name, text in _texts().items() if name.endswith(".ipynb") and "docs/glossary.md" not in text]
    assert unlinked == [] and "docs/glossary.md" in _texts()["README.md"]
