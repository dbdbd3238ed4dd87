"""The docs' numbers are rendered from the committed run, so they cannot drift from it."""
from __future__ import annotations

import pytest

from wassa_lib import report


def test_the_committed_docs_equal_what_the_report_renders_from_outputs_cpu(capsys):
    assert report.main(check=True) == 0, capsys.readouterr().out


def test_the_readme_results_block_fits_the_front_door():
    block = report.readme_block(report.Run(report.RUN_DIR))
    assert len(block.splitlines()) <= 10 and "docs/results.md" in block
    readme = (report.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150


def test_a_file_without_its_markers_is_refused():
    with pytest.raises(ValueError, match="no <!-- results:begin -->"):
        report._replace_block("no markers here", "results", "x")
    assert report._replace_block("a <!-- s:begin -->\nold\n<!-- s:end --> b", "s", "new") == \
        "a <!-- s:begin -->\nnew\n<!-- s:end --> b"
