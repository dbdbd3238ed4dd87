"""The docs' numbers are rendered from the committed run, so they cannot drift from it."""

from __future__ import annotations

import pytest

from wassa_lib.reporting import report


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
    assert (
        report._replace_block("a <!-- s:begin -->\nold\n<!-- s:end --> b", "s", "new")
        == "a <!-- s:begin -->\nnew\n<!-- s:end --> b"
    )


def test_provenance_names_the_commits_the_models_were_trained_at(tmp_path):
    import json
    import shutil

    run = tmp_path / "cpu"
    shutil.copytree(report.RUN_DIR, run, ignore=shutil.ignore_patterns("artifacts", "notebooks", "figures"))
    path = run / "metrics" / "04_track2.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    names = list(record["training"])
    for i, name in enumerate(names):
        record["training"][name]["trained_at"] = "abcdef0123" if i else ""
    path.write_text(json.dumps(record), encoding="utf-8")
    said = report.Run(run).trained_at()
    track1 = json.loads((run / "metrics" / "02_track1_finetune.json").read_text(encoding="utf-8"))["training"]
    unknown = 1 + sum(not e.get("trained_at") for e in track1.values())
    assert said.startswith(f"seed 42's {len(names) + len(track1)} fine-tuned models trained at `abcdef0`")
    assert said.endswith(f"({unknown} saved before a model recorded its commit)")


def test_a_doctored_table_no_longer_renders_the_committed_readme(tmp_path):
    """Another carried model in one seed (choice_seeds.csv): the rendered README block names it, with its own dev
    score, and no longer equals the committed one."""
    import shutil

    import pandas as pd

    run = tmp_path / "cpu"
    shutil.copytree(report.RUN_DIR, run, ignore=shutil.ignore_patterns("artifacts", "notebooks", "figures"))
    choice = pd.read_csv(run / "tables" / "choice_seeds.csv")
    track2 = choice["track"].astype(str) == "2"
    seed, model = choice.loc[track2, "each_seed_chose"].iloc[0].split()[-1].split(":")
    other = "minilm-encdec" if model != "minilm-encdec" else "minilm-classifier"
    choice.loc[track2, "each_seed_chose"] = choice.loc[track2, "each_seed_chose"].str.replace(
        f"{seed}:{model}", f"{seed}:{other}"
    )
    choice.to_csv(run / "tables" / "choice_seeds.csv", index=False)
    committed = report.readme_block(report.Run(report.RUN_DIR))
    doctored = report.readme_block(report.Run(run))
    score = pd.read_csv(run / "tables" / "table4_seeds.csv").set_index("model").loc[other, f"macro_f1_seed{seed}"]
    assert doctored != committed and f"{seed} {other} {score:.3f}" in doctored


def test_the_committed_record_names_no_folder_of_the_recording_machine():
    """Data by folder name and hash, run folders relative to the repository: no absolute path in outputs/."""
    import re

    absolute = re.compile(r"(?<![\w:/.])/(?:home|work|tmp|root|content|Users|mnt|opt|var|srv)/")
    committed = [p for p in (report.REPO_ROOT / "outputs").rglob("*") if p.is_file() and p.suffix != ".png"]
    assert committed
    found = [
        str(p.relative_to(report.REPO_ROOT))
        for p in committed
        if absolute.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []


def test_the_readme_and_performance_name_the_command_commit_and_minutes_of_the_record(tmp_path):
    """From ``metrics/record.json`` (written by ``record``): the command, its commit, each seed's minutes; the
    performance block puts each fine-tuning's seconds per save beside the benchmark's."""
    import shutil

    from wassa_lib.runner.record import RecordSummary

    run = tmp_path / "cpu"
    shutil.copytree(report.RUN_DIR, run, ignore=shutil.ignore_patterns("artifacts", "notebooks", "figures"))
    (run / "metrics" / "record.json").unlink(missing_ok=True)
    assert "make record" not in report.readme_block(report.Run(run))
    made = RecordSummary("python -m wassa_lib record", "1234567abc", [42, 1, 2], [50.0, 40.4, 41.0], "t0", "t1")
    made.save(run)
    readme = report.readme_block(report.Run(run))
    assert "`python -m wassa_lib record` (`make record`) at `1234567`: 131 min of notebooks" in readme
    assert "(seed 42 50, seed 1 40, seed 2 41)" in readme and len(readme.splitlines()) <= 10
    costs = report.benchmark_block(report.Run(run))
    first = next(iter(report.training_records(run)))
    assert costs.startswith("The recorded run, `python -m wassa_lib record` at `1234567`") and first in costs
    for path in run.glob("benchmark*.json"):
        path.unlink()
    assert "s per save at" not in report.benchmark_block(report.Run(run))


def test_the_performance_page_says_what_moved_between_the_benchmarked_commits(tmp_path):
    import shutil

    import pandas as pd

    run = tmp_path / "cpu"
    shutil.copytree(report.RUN_DIR, run, ignore=shutil.ignore_patterns("artifacts", "notebooks", "figures"))
    rows = [
        ("table2", "SVR", "average", 0.5, 0.49),
        ("table2", "SVR", "distress", 0.55, 0.55),
        ("table4", "cls", "macro_f1", 0.48, 0.45),
        ("table4", "cls", "test_macro_f1", 0.46, None),
    ]
    frame = pd.DataFrame(rows, columns=["table", "row", "number", "value", "baseline_value"])
    moved = frame["value"] - frame["baseline_value"]
    frame = frame.assign(commit="aaaaaaa", baseline_commit="21658e9", difference=moved.round(4))
    frame.to_csv(run / "benchmark_numbers.csv", index=False)
    block = report.benchmark_block(report.Run(run))
    assert "of the 4 numbers of Tables 2 and 4 that both hold" in block
    assert "3 differ, by 0.0200 at the median and at most 0.0300 (table4, cls, macro_f1)" in block
    assert "at `aaaaaaa`" in block and "at `21658e9`" in block
    assert "distress" not in block.split("The headline numbers:")[1]  # headline numbers only in the table


def test_the_results_page_compares_the_two_level_width_with_the_pooled_one():
    import pandas as pd

    from wassa_lib.reporting.results_page import _widths

    claims = pd.DataFrame(
        {
            "seeds": [3, 3, 3],
            "ci95_low": [0.0, -0.1, 0.01],
            "ci95_high": [0.1, 0.1, 0.02],
            "pooled_width": [0.2, 0.1, float("nan")],  # the last: a t-interval over seeds, no bootstrap
        }
    )
    said = _widths(claims)
    assert "(3 seeds), over the 2 claims with a bootstrap interval" in said
    assert "0.1500 wide on average (from 0.1000 to 0.2000) against 0.1500" in said and "narrower in 1 of" in said


def test_every_committed_model_was_trained_with_the_settings_todays_params_give(tmp_path):
    """The committed record against today's params; a doctored copy (one model's learning rate) is named."""
    import json
    import shutil

    from wassa_lib.runner.consistency import settings_drift

    assert settings_drift(report.RUN_DIR) == []
    run = tmp_path / "cpu"
    shutil.copytree(report.RUN_DIR, run, ignore=shutil.ignore_patterns("artifacts", "notebooks", "figures"))
    path = run / "metrics" / "04_track2.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    name = next(iter(record["training"]))
    record["training"][name]["settings"]["learning_rate"] = 0.5
    path.write_text(json.dumps(record), encoding="utf-8")
    drift = settings_drift(run)
    assert len(drift) == 1 and drift[0].startswith(f"{name}: learning_rate 0.5 in the record")
