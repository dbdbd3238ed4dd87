"""The numbers of the docs, rendered from a recorded run so that they cannot drift from it.

``python -m wassa_lib report`` writes ``docs/results.md`` and the results block of ``README.md``
(between ``<!-- results:begin -->`` and ``<!-- results:end -->``) and the benchmark block of
``docs/performance.md`` from ``outputs/cpu``, and the settings table of ``docs/paper-vs-kit.md`` from the
params; ``--check`` only says which file differs (a test runs it).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from wassa_lib.evaluation.claims import LARGER, NO_PAPER_NUMBER, SMALLER, UNDECIDED
from wassa_lib.evaluation.records import Track2Record, training_records
from wassa_lib.evaluation.seed_table import seed_column
from wassa_lib.evaluation.seeds import stopping_name
from wassa_lib.reporting.performance_page import benchmark_block, layers_of, schedule
from wassa_lib.reporting.results_page import dev_selection_line, erroneous_line, results_page
from wassa_lib.reporting.run_record import Run, machine_cores, plus_minus
from wassa_lib.scoring.paper import TABLE4
from wassa_lib.settings.configs import REPO_ROOT
from wassa_lib.track1.table2_record import Table2Record

logger = logging.getLogger(__name__)
RUN_DIR = REPO_ROOT / "outputs" / "cpu"
BLOCKS = {"README.md": "results", "docs/paper-vs-kit.md": "settings", "docs/performance.md": "benchmark"}


def _carried_scores(run: Run) -> list[tuple[int, str, float]]:
    """``(seed, model, dev macro-F1)`` of the Track-2 model each seed carried to test."""
    if not run.has("choice_seeds"):
        record = Track2Record.load(run.dir)
        return [(run.seeds[0], record.selected, record.models[record.selected].macro_f1)]
    chose = run.table("choice_seeds").astype({"track": str}).set_index("track").loc["2", "each_seed_chose"]
    t4 = run.over_seeds("table4", "macro_f1").set_index("model")
    pairs = [entry.split(":", 1) for entry in chose.split()]
    return [(int(seed), model, float(t4.loc[model, seed_column("macro_f1", int(seed))])) for seed, model in pairs]


def readme_block(run: Run) -> str:
    """At most ten lines for the README: the carried systems against the paper, and the claims' verdicts."""
    t2 = run.over_seeds("table2", "average")
    chosen = Table2Record.load(run.dir).best_regressor
    from wassa_lib.track1.regressors import LABELS

    row = t2[(t2["kind"] == "regressor") & (t2["system"] == LABELS[chosen])].iloc[0]
    paper2 = run.table("table2").query("source != 'this kit'")
    best_paper = paper2[paper2["system"].str.endswith("*")]["average"].iloc[0]
    carried2 = _carried_scores(run)
    per_seed = "; ".join(f"{seed} {model} {score:.3f}" for seed, model, score in carried2)
    scores2 = pd.Series([score for _, _, score in carried2])
    t5 = run.over_seeds("table5", "ours").set_index("metric").loc["macro_f1"]
    return "\n".join(
        [
            f"| over seeds {', '.join(map(str, run.seeds))} ({run.manifest['profile']} profile, "
            f"{run.manifest['params']['track1_training']['model']}, {machine_cores(run.manifest['machine'])}; "
            f"executed at {run.executed_at()}) "
            "| this kit | the paper (BERT/T5, GPU) |",
            "|---|---:|---:|",
            f"| Track 1, dev average Pearson of the carried system ({LABELS[chosen]}, chosen on validation) | "
            f"{plus_minus(row['average_mean'], row['average_sd'])} | {best_paper:.3f} |",
            f"| Track 2, dev macro-F1 of the model each seed carried, chosen on its validation split ({per_seed}) | "
            f"{plus_minus(scores2.mean(), scores2.std(ddof=1) if len(scores2) > 1 else float('nan'))} | "
            f"{max(TABLE4.values()):.3f} (its carried model, chosen on dev) |",
            f"| Track 2, test macro-F1 | {plus_minus(t5['ours_mean'], t5['ours_sd'])} | {t5['paper']:.3f} |",
            "",
            erroneous_line(run) + " " + dev_selection_line(run),
            "",
            _claims_line(run)
            + _stopping_line(run)
            + " Every table, verdict and figure: [docs/results.md](docs/results.md)."
            + _record_line(run)
            + _time_line(run),
            "![The claims: each difference over seeds with its interval, and the paper's own difference]"
            "(outputs/cpu/figures/claims.png)",
        ]
    )


def _record_line(run: Run) -> str:
    """Which command made the record, at which commit, and what its notebooks took per seed."""
    made = run.record_summary()
    if made is None:
        return ""
    per_seed = made.per_seed()
    return (
        f" This record was made by `{made.command}` (`make record`) at `{made.commit[:7]}`: {made.minutes:.0f} min "
        f"of notebooks on {machine_cores(run.manifest['machine'])} ({per_seed}), one seed after the other; "
        f"`make reproduce` runs seed {made.seeds[0]} alone."
    )


def _claims_line(run: Run) -> str:
    """How many claims each verdict has: by sign, and by size against the paper's own difference."""
    claims = run.table("claims")
    signs = claims["verdict"].value_counts()
    line = f"Claims ({len(claims)}), by the sign of the difference: " + ", ".join(f"{n} {v}" for v, n in signs.items())
    sized = claims[claims["size_verdict"] != NO_PAPER_NUMBER]
    neither = (claims["verdict"] == UNDECIDED) & ~claims["size_verdict"].isin([SMALLER, LARGER])
    line += (
        f"; against the paper's own difference, on the {len(sized)} claims where the paper prints both numbers: "
        + ", ".join(f"{n} {v}" for v, n in sized["size_verdict"].value_counts().items())
        + f"; {int(neither.sum())} decided neither by sign nor by size"
    )
    return line + "."


def _patience(run: Run, model: str) -> int | None:
    """The early-stopping patience ``model`` (a name of ``stopping.csv``) was trained with, as its record says."""
    records = {stopping_name(name): record for name, record in training_records(run.dir).items()}
    return (records[model].settings or {}).get("early_stopping_patience") if model in records else None


def _stopping_line(run: Run) -> str:
    """Which fine-tunings ran to the cap of epochs, in which seeds, the epoch each kept, and whether validation
    was still improving within the patience window there or patience ran out exactly at the cap."""
    if not run.has("stopping"):
        return ""
    capped = run.table("stopping").query("stopped_by_the_cap_in_seeds != 'none'")
    if capped.empty:
        return " Every fine-tuning in every seed was stopped by patience, none by the cap of epochs."
    improving, exhausted = [], []
    for row in capped.to_dict("records"):
        patience = _patience(run, row["model"])
        for seed in str(row["stopped_by_the_cap_in_seeds"]).split():
            kept, ran = map(int, row[f"seed {seed}: kept/run"].split("/"))
            said = f"{row['model']} in seed {seed} (kept epoch {kept} of {ran})"
            (exhausted if patience and ran - kept >= patience else improving).append(said)
    parts = []
    if improving:
        parts.append(
            " Ran to the cap of epochs with validation still improving within the patience window (a higher cap "
            "might still gain): " + "; ".join(improving) + "."
        )
    if exhausted:
        parts.append(" Ran to the cap as patience ran out at the last epoch: " + "; ".join(exhausted) + ".")
    return "".join(parts) + " Every other fine-tuning was stopped by patience before the cap."


def _time_line(run: Run) -> str:
    baseline = run.baseline()
    now, before = run.benchmark(), baseline and run.benchmark(baseline)
    if now is None:
        return ""
    timed, recorded = now.steps, sum(r.steps for r in training_records(run.dir).values())
    return (
        f" One seed on {machine_cores(now.machine)}, idle: {now.minutes} at "
        f"`{now.short_commit}` ({layers_of(now) or 'the whole profile'}; {timed:,} optimiser steps"
        + (
            f", against {recorded:,} in the recorded run's seed {run.manifest['params']['seed']})"
            if recorded != timed
            else ")"
        )
        + (
            f", {before.minutes} at `{baseline}` ({layers_of(before) or 'the whole profile'}, {schedule(before)}, "
            f"{before.steps:,} steps; {before.total_wall_s / now.total_wall_s:.2f}× as long, timed in the same sitting)"
            if before
            else ""
        )
        + " ([docs/performance.md](docs/performance.md))."
    )


def settings_block() -> str:
    """The three-column settings table of the paper profile (and the cpu profile's value where it differs)."""
    from wassa_lib.runner.params import load_params
    from wassa_lib.scoring.paper import settings_table

    paper = settings_table(load_params("paper"))
    cpu = {row["setting"]: row["kit"] for row in settings_table(load_params("cpu"))}

    def short(value, key: str | None, profile: str) -> str:
        return f"`{key}` in `params/{profile}.yaml`" if isinstance(value, (list, dict)) else str(value)

    rows = [
        {
            "setting": r["setting"],
            "the paper's text": r["paper"],
            "the authors' code": r["authors_code"],
            "paper profile": short(r["kit"], r["params_key"], "paper"),
            "cpu profile": "the same"
            if cpu[r["setting"]] == r["kit"]
            else short(cpu[r["setting"]], r["params_key"], "base"),
        }
        for r in paper
    ]
    return pd.DataFrame(rows).to_markdown(index=False)


def _replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} block")
    head, rest = text.split(begin, 1)
    return f"{head}{begin}\n{body}\n{end}{rest.split(end, 1)[1]}"


def render(run_dir: Path = RUN_DIR, root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every rendered file's path and its text."""
    run = Run(run_dir)
    out = {root / "docs" / "results.md": results_page(run)}
    for name, block in BLOCKS.items():
        body = {"results": readme_block, "settings": lambda _: settings_block(), "benchmark": benchmark_block}[block](
            run
        )
        out[root / name] = _replace_block((root / name).read_text(encoding="utf-8"), block, body)
    return out


def main(check: bool = False, run_dir: Path = RUN_DIR) -> int:
    """Write the rendered files, or with ``check`` list those that differ (exit 1)."""
    stale = []
    for path, text in render(run_dir).items():
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            logger.info("wrote %s", path)
    for path in stale:
        print(f"{path}: differs from what `python -m wassa_lib report` renders from {run_dir}")
    return 1 if stale else 0
