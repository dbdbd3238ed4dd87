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
from wassa_lib.reporting.results_page import dev_selection_line, erroneous_line, results_page
from wassa_lib.reporting.run_record import Run, machine_cores, plus_minus
from wassa_lib.runner.record import RecordSummary
from wassa_lib.scoring.paper import TABLE4
from wassa_lib.settings.configs import REPO_ROOT
from wassa_lib.settings.layout import metrics_path
from wassa_lib.track1.table2_record import Table2Record

logger = logging.getLogger(__name__)
RUN_DIR = REPO_ROOT / "outputs" / "cpu"
BLOCKS = {"README.md": "results", "docs/paper-vs-kit.md": "settings", "docs/performance.md": "benchmark"}


def _carried_scores(run: Run) -> list[tuple[int, str, float]]:
    """``(seed, model, dev macro-F1)`` of the Track-2 model each seed carried to test."""
    if not run.has("choice_seeds"):
        record = Track2Record.load(run.dir)
        return [(run.seeds[0], record.selected, record.models[record.selected]["macro_f1"])]
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


def _record_summary(run: Run) -> RecordSummary | None:
    """The run's ``metrics/record.json``, or None where ``record`` did not make it."""
    return RecordSummary.load(run.dir) if metrics_path(run.dir, RecordSummary.NOTEBOOK).is_file() else None


def _per_seed(made: RecordSummary, unit: str = "") -> str:
    return ", ".join(f"seed {s} {m:.0f}{unit}" for s, m in zip(made.seeds, made.minutes_by_seed, strict=True))


def _record_line(run: Run) -> str:
    """Which command made the record, at which commit, and what its notebooks took per seed."""
    made = _record_summary(run)
    if made is None:
        return ""
    per_seed = _per_seed(made)
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
    """The early-stopping patience the run's params gave ``model`` (a name of ``stopping.csv``)."""
    params = run.manifest["params"]
    if model in ("empathy", "distress", "joint"):
        return params["track1_training"].get("early_stopping_patience")
    entries = {e["name"]: e for e in params["track2_models"]}
    training = entries[model]["training"] if model in entries else params["track2_incremental"].get("training", {})
    return training.get("early_stopping_patience")


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


def _minutes(bench: dict) -> str:
    return f"{bench['total_wall_s'] / 60:.0f} min"


def _layers(bench: dict) -> str:
    return ", ".join(f"`params/layers/{name}`" for name in bench.get("layers") or [])


def _schedule(bench: dict) -> str:
    """How a benchmarked run's fine-tunings were scheduled, from their records: fixed epochs, or early stopping."""
    records = bench["training"].values()
    if all(not r.get("stopped_by") for r in records):
        caps = sorted({r["epochs"] for r in records})
        return f"{caps[0]:g} fixed epochs" if len(caps) == 1 else f"fixed epochs, {caps[0]:g} to {caps[-1]:g} by model"
    return "early stopping"


def _steps(training: dict) -> int:  # optimiser steps of a run's fine-tunings: what its time mostly scales with
    return sum(int(record.get("steps") or 0) for record in training.values())


def _time_line(run: Run) -> str:
    baseline = run.baseline()
    now, before = run.benchmark(), baseline and run.benchmark(baseline)
    if now is None:
        return ""
    timed, recorded = _steps(now["training"]), _steps(training_records(run.dir))
    return (
        f" One seed on {machine_cores(now['machine'])}, idle: {_minutes(now)} at "
        f"`{now['commit'][:7]}` ({_layers(now) or 'the whole profile'}; {timed:,} optimiser steps"
        + (
            f", against {recorded:,} in the recorded run's seed {run.manifest['params']['seed']})"
            if recorded != timed
            else ")"
        )
        + (
            f", {_minutes(before)} at `{baseline}` ({_layers(before) or 'the whole profile'}, {_schedule(before)}, "
            f"{_steps(before['training']):,} steps)"
            if before
            else ""
        )
        + " ([docs/performance.md](docs/performance.md))."
    )


def benchmark_block(run: Run) -> str:
    """``docs/performance.md``: the recorded run's costs, then the benchmark's wall time and memory per notebook
    beside the baseline's, and its costs."""
    baseline = run.baseline()
    now, before = run.benchmark(), baseline and run.benchmark(baseline)
    timed = _benchmark_tables(now, before, baseline) if now else "_No `benchmark.json` in this recorded run._"
    return _record_costs(run, now) + timed


def _per_save(entry: dict | None) -> float | None:
    """Seconds per checkpoint save of one fine-tuning record, or None."""
    if not entry or not entry.get("saves"):
        return None
    return round(entry["save_seconds"] / entry["saves"], 2)


def _record_costs(run: Run, bench: dict | None) -> str:
    """Where the time of the recorded run's fine-tunings went (its first seed), beside the benchmark's save cost."""
    made, seed = _record_summary(run), run.manifest["params"]["seed"]
    if made is None:
        return ""
    commit = bench["commit"][:7] if bench else None
    rows = [
        {
            "model": name,
            "epochs run / cap": f"{e.get('epochs_run')} / {e.get('epochs')}",
            "stopped by": e.get("stopped_by"),
            "training steps s": e.get("steps_seconds"),
            "validation s": e.get("validation_seconds"),
            "s per save": _per_save(e),
            **({f"s per save at `{commit}`": _per_save(bench["training"].get(name))} if bench else {}),
            "essays/s": e.get("samples_per_second"),
        }
        for name, e in training_records(run.dir).items()
    ]
    return "\n".join(
        [
            f"The recorded run, `{made.command}` at `{made.commit[:7]}` on {machine_cores(run.manifest['machine'])}: "
            + _per_seed(made, " min")
            + f" of notebooks. Where seed {seed}'s fine-tunings spent it (seconds)"
            + (
                f", with the cost of one checkpoint save beside the benchmark's at `{commit}`, which kept the "
                "optimiser state in every checkpoint:"
                if bench
                else ":"
            ),
            "",
            pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"),
            "",
            "",
        ]
    )


def _benchmark_tables(now: dict, before: dict | None, baseline: str | None) -> str:
    """The benchmark's wall time and memory per notebook beside the baseline's, and each fine-tuning's costs."""
    commit, layers = now["commit"][:7], _layers(now)
    old = (before or {}).get("notebooks", {})
    rows = [
        {
            "notebook": name,
            f"wall s at `{commit}`": rec.get("wall_s"),
            f"wall s at `{baseline}`": old.get(name, {}).get("wall_s"),
            f"peak RSS GB at `{commit}`": round(rec.get("peak_rss_mb", 0) / 1024, 1),
        }
        for name, rec in now["notebooks"].items()
    ]
    rows.append(
        {
            "notebook": "all",
            f"wall s at `{commit}`": now["total_wall_s"],
            f"wall s at `{baseline}`": before and before["total_wall_s"],
            f"peak RSS GB at `{commit}`": max(row[f"peak RSS GB at `{commit}`"] for row in rows),
        }
    )
    models = [
        {
            "model": name,
            "epochs run / cap": f"{e.get('epochs_run')} / {e.get('epochs')}",
            "stopped by": e.get("stopped_by"),
            "training steps s": e.get("steps_seconds"),
            "validation s": e.get("validation_seconds"),
            "saves s": e.get("save_seconds"),
            "essays/s": e.get("samples_per_second"),
            "utilisation": e.get("model_flops_utilisation"),
        }
        for name, e in now["training"].items()
    ]
    step = now["training_step"]
    return "\n".join(
        [
            f"`python -m wassa_lib bench --profile {now['profile']}`, one seed: at `{commit}` "
            + (f"with {layers}" if layers else "on the whole profile")
            + (
                f", and at `{baseline}` on {_layers(before) or 'its whole profile'} ({_schedule(before)})"
                if before
                else ""
            )
            + f", one after the other on the otherwise idle machine ({machine_cores(now['machine'])}, "
            f"{now['machine'].get('gpu') or 'no GPU'}):",
            "",
            pd.DataFrame(rows).to_markdown(index=False, floatfmt=".1f"),
            "",
            f"Where each fine-tuning's time went at `{commit}` (seconds; utilisation against the "
            f"{now['peak_flops']['value'] / 1e9:.0f} GFLOP/s {now['peak_flops']['precision']} peak measured there):",
            "",
            pd.DataFrame(models).to_markdown(index=False, floatfmt=".2f"),
            "",
            f"One training step of {step['runs'][0]['batch_size']} essays ({step['model']}): "
            + ", ".join(
                f"{r['padding']} padding in {r['precision']} {r['seconds_per_step']:.2f} s" for r in step["runs"]
            )
            + f"; `predict` {now['predict']['essays_per_second']:.1f} essays/s.",
        ]
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
