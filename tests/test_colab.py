"""The Colab setup cell: present in every notebook, a no-op outside Colab, the paper profile inside."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from wassa_lib import colab

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_carries_the_setup_cell_after_its_parameters(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    assert cells[index + 1].source == colab.SETUP_CELL


def test_setup_cell_does_nothing_outside_colab(monkeypatch):
    calls = []
    monkeypatch.setattr("subprocess.run", lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace = {"profile": "cpu", "data_dir": ""}
    exec(colab.SETUP_CELL, namespace)
    assert calls == []
    assert namespace["profile"] == "cpu" and namespace["data_dir"] == ""
    assert {k for k in namespace if not k.startswith("__")} == {"profile", "data_dir", "sys"}


def test_configure_applies_a_profile_to_the_notebook_names(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    updates = colab.configure({"profile": "cpu", "seed": 1, "not_a_param": 0}, mount_drive=False)
    assert updates["profile"] == "paper" and updates["seed"] == 42
    assert "not_a_param" not in updates
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert colab.configure({"profile": "x"}, mount_drive=False)["profile"] == "cpu"
