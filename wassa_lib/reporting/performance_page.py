"""``docs/performance.md``'s rendered block: what the recorded run's fine-tunings cost, the benchmark beside its
baseline's, and what moved in the results between the two commits."""

from __future__ import annotations

import pandas as pd

from wassa_lib.evaluation.records import training_records
from wassa_lib.reporting.run_record import Run, machine_cores
from wassa_lib.runner.bench_numbers import differs
from wassa_lib.runner.bench_record import Benchmark


def layers_of(bench: Benchmark) -> str:
    return ", ".join(f"`params/layers/{name}`" for name in bench.layers)


def schedule(bench: Benchmark) -> str:
    """How a benchmarked run's fine-tunings were scheduled, from their records: fixed epochs, or early stopping."""
    records = bench.training.values()
    if all(not r.stopped_by for r in records):
        caps = sorted({r.epochs for r in records})
        return f"{caps[0]:g} fixed epochs" if len(caps) == 1 else f"fixed epochs, {caps[0]:g} to {caps[-1]:g} by model"
    return "early stopping"


def benchmark_block(run: Run) -> str:
    """``docs/performance.md``: the recorded run's costs, then the benchmark's wall time and memory per notebook
    beside the baseline's, and its costs."""
    baseline = run.baseline()
    now, before = run.benchmark(), baseline and run.benchmark(baseline)
    timed = _benchmark_tables(now, before, baseline) if now else "_No `benchmark.json` in this recorded run._"
    return _record_costs(run, before or now) + timed + _numbers(run)


def _record_costs(run: Run, bench: Benchmark | None) -> str:
    """Where the time of the recorded run's fine-tunings went (its first seed), beside the save cost in ``bench``
    (the baseline benchmark where there is one)."""
    made, seed = run.record_summary(), run.manifest["params"]["seed"]
    if made is None:
        return ""
    commit = bench.short_commit if bench else None
    rows = [
        {
            "model": name,
            "epochs run / cap": f"{e.ran} / {e.epochs:g}",
            "stopped by": e.stopped_by,
            "training steps s": e.steps_seconds,
            "validation s": e.validation_seconds,
            "s per save": e.seconds_per_save,
            **({f"s per save at `{commit}`": _per_save(bench, name)} if bench else {}),
            "essays/s": e.samples_per_second,
        }
        for name, e in training_records(run.dir).items()
    ]
    return "\n".join(
        [
            f"The recorded run, `{made.command}` at `{made.commit[:7]}` on {machine_cores(run.manifest['machine'])}: "
            + made.per_seed(" min")
            + f" of notebooks. Where seed {seed}'s fine-tunings spent it (seconds)"
            + (
                f", with the cost of one checkpoint save beside the one in the benchmark at `{commit}`:"
                if bench
                else ":"
            ),
            "",
            pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"),
            "",
            "",
        ]
    )


def _per_save(bench: Benchmark, name: str) -> float | None:
    """Seconds per checkpoint save of the benchmark's fine-tuning ``name``, or None."""
    return bench.training[name].seconds_per_save if name in bench.training else None


def _benchmark_tables(now: Benchmark, before: Benchmark | None, baseline: str | None) -> str:
    """The benchmark's wall time and memory per notebook beside the baseline's, and each fine-tuning's costs."""
    commit, layers = now.short_commit, layers_of(now)
    old = before.notebooks if before else {}
    rows = [
        {
            "notebook": name,
            f"wall s at `{commit}`": rec.get("wall_s"),
            f"wall s at `{baseline}`": old.get(name, {}).get("wall_s"),
            f"peak RSS GB at `{commit}`": round(rec.get("peak_rss_mb", 0) / 1024, 1),
        }
        for name, rec in now.notebooks.items()
    ]
    rows.append(
        {
            "notebook": "all",
            f"wall s at `{commit}`": now.total_wall_s,
            f"wall s at `{baseline}`": before and before.total_wall_s,
            f"peak RSS GB at `{commit}`": max(row[f"peak RSS GB at `{commit}`"] for row in rows),
        }
    )
    models = [
        {
            "model": name,
            "epochs run / cap": f"{e.ran} / {e.epochs:g}",
            "stopped by": e.stopped_by,
            "training steps s": e.steps_seconds,
            "validation s": e.validation_seconds,
            "saves s": e.save_seconds,
            "essays/s": e.samples_per_second,
            "utilisation": e.model_flops_utilisation,
        }
        for name, e in now.training.items()
    ]
    step = now.training_step
    return "\n".join(
        [
            f"`python -m wassa_lib bench --profile {now.profile}`, one seed: at `{commit}` "
            + (f"with {layers}" if layers else "on the whole profile")
            + (
                f", and at `{baseline}` on {layers_of(before) or 'its whole profile'} ({schedule(before)})"
                if before
                else ""
            )
            + f", one after the other on the otherwise idle machine ({machine_cores(now.machine)}, "
            f"{now.machine.get('gpu') or 'no GPU'}):",
            "",
            pd.DataFrame(rows).to_markdown(index=False, floatfmt=".1f"),
            "",
            f"Where each fine-tuning's time went at `{commit}` (seconds; utilisation against the "
            f"{now.peak_flops['value'] / 1e9:.0f} GFLOP/s {now.peak_flops['precision']} peak measured there):",
            "",
            pd.DataFrame(models).to_markdown(index=False, floatfmt=".2f"),
            "",
            f"One training step of {step['runs'][0]['batch_size']} essays ({step['model']}): "
            + ", ".join(
                f"{r['padding']} padding in {r['precision']} {r['seconds_per_step']:.2f} s" for r in step["runs"]
            )
            + f"; `predict` {now.predict['essays_per_second']:.1f} essays/s.",
        ]
    )


NUMBERS_FILE = "benchmark_numbers.csv"
HEADLINES = {"table2": ("average",), "table4": ("macro_f1", "test_macro_f1")}


def _numbers(run: Run) -> str:
    """What moved between the benchmark's two commits: the headline numbers of Tables 2 and 4 side by side, and
    how many of all their numbers differ (``benchmark_numbers.csv``, ``python -m wassa_lib bench-numbers``)."""
    path = run.dir / NUMBERS_FILE
    if not path.is_file():
        return ""
    frame = pd.read_csv(path, dtype={"commit": str, "baseline_commit": str})  # "21658e9" is not a number
    new, old = frame["commit"].iloc[0], frame["baseline_commit"].iloc[0]
    moved, changed = frame["difference"].abs(), int(differs(frame).sum())
    top = frame.loc[moved.idxmax()] if moved.notna().any() else None
    said = (
        f"{changed} differ, by {moved[moved > 0].median():.4f} at the median and at most {moved.max():.4f} "
        f"({top['table']}, {top['row']}, {top['number']})"
        if changed and top is not None
        else f"{changed} differ"
    )
    shown = frame[[number in HEADLINES[table] for table, number in zip(frame["table"], frame["number"], strict=True)]]
    shown = shown.rename(columns={"value": f"at `{new}`", "baseline_value": f"at `{old}`"})
    return "\n".join(
        [
            "",
            "",
            f"What moved between the two benchmarked runs (seed {run.manifest['params']['seed']}, the same data): "
            f"of the {len(frame)} numbers of Tables 2 and 4 that both hold (`outputs/cpu/{NUMBERS_FILE}`), "
            f"{said}. The headline numbers:",
            "",
            shown.drop(columns=["commit", "baseline_commit"]).to_markdown(index=False, floatfmt=".4f"),
        ]
    )
