"""The numbers of the docs, rendered from a recorded run so that they cannot drift from it.

``python -m wassa_lib report`` writes ``docs/results.md`` and the results block of ``README.md``
(between ``<!-- results:begin -->`` and ``<!-- results:end -->``) and the benchmark block of
``docs/performance.md`` from ``outputs/cpu``, and the settings table of ``docs/paper-vs-kit.md`` from the params; ``--check`` only says which file differs (a test runs it).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from .config import REPO_ROOT
from .layout import manifest_path, metrics_path, table_path
from .records import training_records

logger = logging.getLogger(__name__)
RUN_DIR = REPO_ROOT / "outputs" / "cpu"
BLOCKS = {"README.md": "results", "docs/paper-vs-kit.md": "settings", "docs/performance.md": "benchmark"}
BASELINE = "a08f64b"  # the commit the benchmark is compared with: 3 fixed epochs, before early stopping


def _table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.3f} ± {sd:.3f}" if pd.notna(sd) else f"{mean:.3f}"


class Run:
    """What the docs read from one recorded run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir)
        self.manifest = json.loads(manifest_path(self.dir).read_text(encoding="utf-8"))

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_csv(table_path(self.dir, name))

    def metrics(self, name: str) -> dict:
        return json.loads(metrics_path(self.dir, name).read_text(encoding="utf-8"))

    def has(self, name: str) -> bool:
        return table_path(self.dir, name).is_file()

    @property
    def seeds(self) -> list[int]:
        return self.metrics("05_claims")["seeds"]

    def over_seeds(self, name: str, headline: str, value: str | None = None) -> pd.DataFrame:
        """``<name>_seeds`` where the run has several seeds; with one, ``<name>`` in the same shape (``value``:
        the single run's column of the headline, no standard deviation)."""
        if self.has(f"{name}_seeds"):
            return self.table(f"{name}_seeds")
        table = self.table(name)
        if "source" in table.columns:  # the paper's rows are shown on their own
            table = table[~table["source"].str.startswith("paper")]
        numbers = [c for c in table.select_dtypes("number").columns if not c.startswith(("paper", "best_in_task"))]
        means = {f"{c}_mean": table[c] for c in numbers} | {f"{headline}_mean": table[value or headline]}
        return table.assign(**means, **{f"{c}_sd": float("nan") for c in [*numbers, headline]})

    def section(self, name: str, floatfmt: str = ".3f") -> str:
        """A table of the run, or a line saying that this run does not have it."""
        return _table(self.table(name), floatfmt) if self.has(name) else f"_No `{name}.csv` in this recorded run._"

    def trained_at(self) -> str:
        """Where this run folder's fine-tuned models (its own seed's) come from: the commits they were trained
        at, as each model's record says (a resumed run reads finished models back)."""
        entries = list(training_records(self.dir).values())
        commits = ", ".join(f"`{c}`" for c in sorted({e["trained_at"][:7] for e in entries if e.get("trained_at")}))
        unknown = sum(not e.get("trained_at") for e in entries)
        seed = self.manifest["params"]["seed"]
        if not commits:
            return (f"seed {seed}'s {len(entries)} fine-tuned models read back from earlier runs, saved before a "
                    "model recorded its commit")
        return (f"seed {seed}'s {len(entries)} fine-tuned models trained at {commits}"
                + (f" ({unknown} saved before a model recorded its commit)" if unknown else ""))

    def benchmark(self, commit: str | None = None) -> dict | None:
        """``benchmark.json`` of the recorded commit, or with ``commit`` the one of that commit, timed on the same
        idle machine in the same sitting (``benchmark_<commit>.json``); None where the run has none."""
        path = self.dir / (f"benchmark_{commit}.json" if commit else "benchmark.json")
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def provenance(self) -> str:
        """One paragraph: profile and layers, data, seeds, commits, machine."""
        m, machine = self.manifest, self.manifest.get("machine", {})

        def commits(key: str) -> str:
            return ", ".join(f"`{c}`" for c in sorted({nb[key][:7] for nb in m["notebooks"].values() if nb.get(key)}))

        layers = ", ".join(f"`params/layers/{Path(p).name}`" for p in m.get("params_layers", []))
        return (f"Profile `{m['profile']}`" + (f" with {layers}" if layers else "")
                + ", the WASSA 2021 release and CARER (sha256 of every file in `outputs/cpu/manifest.json`), seeds "
                + ", ".join(map(str, self.seeds)) + f"; notebooks executed at {commits('git_commit')}"
                + f"; {self.trained_at()}"
                + f"; machine: {_cores(machine)}, {machine.get('gpu') or 'no GPU'}.")


def readme_block(run: Run) -> str:
    """At most ten lines for the README: the carried systems against the paper, and the claims' verdicts."""
    t2 = run.over_seeds("table2", "average")
    chosen = run.metrics("03_regressor_comparison")["best_regressor"]
    from .regressors import LABELS

    row = t2[(t2["kind"] == "regressor") & (t2["system"] == LABELS[chosen])].iloc[0]
    paper2 = run.table("table2").query("source != 'this kit'")
    best_paper = paper2[paper2["system"].str.endswith("*")]["average"].iloc[0]
    t4 = run.over_seeds("table4", "macro_f1")
    selected = run.metrics("04_track2")["selected"]
    r4 = t4[t4["model"] == selected].iloc[0]
    t5 = run.over_seeds("table5", "ours").set_index("metric").loc["macro_f1"]
    claims = run.table("claims")
    counts = claims["verdict"].value_counts()
    return "\n".join([
        f"| over seeds {', '.join(map(str, run.seeds))} (cpu profile, MiniLM, 2 CPU cores) | this kit | the paper (BERT/T5, GPU) |",
        "|---|---:|---:|",
        f"| Track 1, dev average Pearson of the carried system ({LABELS[chosen]}, chosen on validation) | "
        f"{_pm(row['average_mean'], row['average_sd'])} | {best_paper:.3f} |",
        f"| Track 2, dev macro-F1 of the carried model ({selected}) | {_pm(r4['macro_f1_mean'], r4['macro_f1_sd'])} | "
        f"{r4['paper_macro_f1']:.3f} |",
        f"| Track 2, test macro-F1 | {_pm(t5['ours_mean'], t5['ours_sd'])} | {t5['paper']:.3f} |",
        "",
        _erroneous_line(run) + " " + _dev_selection_line(run), "",
        f"Claims ({len(claims)}): " + ", ".join(f"{n} {v}" for v, n in counts.items())
        + (" (one seed: each interval covers the dev essays, not the seed-to-seed spread)" if len(run.seeds) == 1
           else "") + "." + _stopping_line(run) + " Every table, verdict and figure: [docs/results.md](docs/results.md)."
        + _time_line(run),
    ])


def _stopping_line(run: Run) -> str:
    """Which fine-tunings the cap of epochs ended rather than patience, in which seeds, and the epoch each kept."""
    if not run.has("stopping"):
        return ""
    capped = run.table("stopping").query("stopped_by_the_cap_in_seeds != 'none'")
    if capped.empty:
        return " Every fine-tuning in every seed was stopped by patience, none by the cap of epochs."
    said = []
    for row in capped.to_dict("records"):
        seeds = str(row["stopped_by_the_cap_in_seeds"]).split()
        kept = ", ".join(f"epoch {row[f'seed {s}: kept/run'].replace('/', ' of ')}" for s in seeds)
        said.append(f"{row['model']} in seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)} (kept {kept})")
    return (" Ended by the cap of epochs before patience could end them (validation had improved within the "
            "patience window, so a higher cap might still gain): " + "; ".join(said)
            + "; every other fine-tuning stopped by patience.")


def _cores(machine: dict) -> str:
    return f"{machine.get('cpu_count', '?')} cores of {machine.get('cpu') or 'a CPU'}"


def _minutes(bench: dict) -> str:
    return f"{bench['total_wall_s'] / 60:.0f} min"


def _layers(bench: dict) -> str:
    return ", ".join(f"`params/layers/{name}`" for name in bench.get("layers") or [])


def _steps(training: dict) -> int:  # optimiser steps of a run's fine-tunings: what its time mostly scales with
    return sum(int(record.get("steps") or 0) for record in training.values())


def _time_line(run: Run) -> str:
    now, before = run.benchmark(), run.benchmark(BASELINE)
    if now is None:
        return ""
    timed, recorded = _steps(now["training"]), _steps(training_records(run.dir))
    return (f" One seed on {_cores(now['machine'])}, idle: {_minutes(now)} at "
            f"`{now['commit'][:7]}` ({_layers(now) or 'the whole profile'}; {timed:,} optimiser steps"
            + (f", against {recorded:,} in the recorded run's seed {run.manifest['params']['seed']})" if recorded != timed else ")")
            + (f", {_minutes(before)} at `{BASELINE}` ({_layers(before) or 'the whole profile'}, 3 fixed epochs, "
               f"{_steps(before['training']):,} steps)" if before else "") + " ([docs/performance.md](docs/performance.md)).")


def benchmark_block(run: Run) -> str:
    """``docs/performance.md``: the benchmark's wall time and memory per notebook beside the baseline's, and its costs."""
    now, before = run.benchmark(), run.benchmark(BASELINE)
    if now is None:
        return "_No `benchmark.json` in this recorded run._"
    commit, layers = now["commit"][:7], _layers(now)
    old = (before or {}).get("notebooks", {})
    rows = [{"notebook": name, f"wall s at `{commit}`": rec.get("wall_s"),
             f"wall s at `{BASELINE}`": old.get(name, {}).get("wall_s"),
             f"peak RSS GB at `{commit}`": round(rec.get("peak_rss_mb", 0) / 1024, 1)}
            for name, rec in now["notebooks"].items()]
    rows.append({"notebook": "all", f"wall s at `{commit}`": now["total_wall_s"],
                 f"wall s at `{BASELINE}`": before and before["total_wall_s"],
                 f"peak RSS GB at `{commit}`": max(row[f"peak RSS GB at `{commit}`"] for row in rows)})
    models = [{"model": name, "epochs run / cap": f"{e.get('epochs_run')} / {e.get('epochs')}",
               "stopped by": e.get("stopped_by"), "training steps s": e.get("steps_seconds"),
               "validation s": e.get("validation_seconds"), "saves s": e.get("save_seconds"),
               "essays/s": e.get("samples_per_second"), "utilisation": e.get("model_flops_utilisation")}
              for name, e in now["training"].items()]
    step = now["training_step"]
    return "\n".join([
        f"`python -m wassa_lib bench --profile {now['profile']}`, one seed: at `{commit}` "
        + (f"with {layers}" if layers else "on the whole profile")
        + (f", and at `{BASELINE}` on {_layers(before) or 'its whole profile'} (3 fixed epochs)" if before else "")
        + f", one after the other on the otherwise idle machine ({_cores(now['machine'])}, "
        f"{now['machine'].get('gpu') or 'no GPU'}):", "",
        pd.DataFrame(rows).to_markdown(index=False, floatfmt=".1f"), "",
        f"Where each fine-tuning's time went at `{commit}` (seconds; utilisation against the "
        f"{now['peak_flops']['value'] / 1e9:.0f} GFLOP/s {now['peak_flops']['precision']} peak measured there):", "",
        pd.DataFrame(models).to_markdown(index=False, floatfmt=".2f"), "",
        f"One training step of {step['runs'][0]['batch_size']} essays ({step['model']}): "
        + ", ".join(f"{r['padding']} padding in {r['precision']} {r['seconds_per_step']:.2f} s" for r in step["runs"])
        + f"; `predict` {now['predict']['essays_per_second']:.1f} essays/s."])


def _erroneous_line(run: Run) -> str:
    e = run.over_seeds("erroneous_submission", "empathy_dev_erroneous").iloc[0]
    return (f"The authors' erroneous submission, repeated on dev: empathy {e['empathy_dev_correct_mean']:.3f} with its "
            f"own embedding, {e['empathy_dev_erroneous_mean']:.3f} reading the distress embedding (the paper's test "
            f"empathy {e['paper_test_empathy']:.3f}, distress {e['paper_test_distress']:.3f}).")


def _dev_selection_line(run: Run) -> str:
    rows = run.table("dev_selection")
    return ("Choosing on dev as the authors' code did reads higher on dev by: "
            + "; ".join(f"{r.choice}, {r.authors_way}: {r.difference:+.3f}" for r in rows.itertuples()) + ".")


def _track1_section(run: Run) -> list[str]:
    t2 = run.over_seeds("table2", "average")
    cols2 = ["kind", "system", "distress_mean", "empathy_mean", "average_mean", "average_sd", "validation_average_mean"]
    paper2 = run.table("table2").query("source != 'this kit'")[["system", "distress", "empathy", "average"]]
    return ["## Table 2: Track 1 on dev (average Pearson of empathy and distress)", "",
            _table(t2[[c for c in cols2 if c in t2.columns]]), "",
            "The paper's Table 2 (its submission marked `*`):", "", _table(paper2), "",
            "![Table 2 over seeds](../outputs/cpu/figures/table2_seeds.png)" if run.has("table2_seeds") else "", "",
            "## The authors' erroneous submission, measured on dev",
            "The empathy regressor of the authors' code read the distress encoder's embedding at test time; the "
            "same mistake made on dev (the authors' MLP settings, each score's own embedding):", "",
            run.section("erroneous_submission_seeds" if run.has("erroneous_submission_seeds")
                        else "erroneous_submission"), ""]


def _track2_section(run: Run) -> list[str]:
    t4 = run.over_seeds("table4", "macro_f1")
    cols4 = ["model", "paper_model", "paper_macro_f1", "valid_macro_f1_mean", "macro_f1_mean", "macro_f1_sd",
             "accuracy_mean"]
    table5 = run.over_seeds("table5", "ours")[["metric", "paper", "best_in_task", "ours_mean", "ours_sd"]]
    if run.has("table5_ensemble"):
        table5 = table5.merge(run.table("table5_ensemble"), on="metric")
    return ["## Table 4: Track 2 on dev (macro-F1)", "", _table(t4[[c for c in cols4 if c in t4.columns]]), "",
            "![Table 4 over seeds](../outputs/cpu/figures/table4_seeds.png)" if run.has("table4_seeds") else "", "",
            "## Table 5: Track 2 on test", "", _table(table5), "",
            "## Which system each seed chose (on validation)", "", run.section("choice_seeds"), ""]


def _claims_section(run: Run) -> list[str]:
    verdicts = run.table("claims")[["track", "claim", "mean_difference", "ci95_low", "ci95_high", "verdict"]]
    return ["## The paper's claims",
            "A claim compares two systems on dev; its interval pools a paired bootstrap over the dev essays within "
            "each seed. *supported*: the 95% interval lies above 0; *contradicted*: below; *not decided by this "
            "data*: it contains 0. The two rows on choosing on dev use a t-interval over the seeds.", "",
            _table(verdicts, ".4f"), "", "![claims](../outputs/cpu/figures/claims.png)", "",
            "## What choosing on dev was worth",
            "The authors' code chose its epochs and regressor on the dev set it reported, and predicted Track 2 "
            "with the last epoch's model, counting an invalid generation as `neutral`. Each row puts the dev score "
            "of what that way picks beside what the kit's way (validation) picks:", "",
            run.section("dev_selection", ".4f"), ""]


def results_page(run: Run) -> str:
    """``docs/results.md``."""
    head = ["# Results of the recorded cpu run", "",
            "<!-- rendered by `python -m wassa_lib report` from outputs/cpu; do not edit by hand -->", "",
            run.provenance(),
            "Every number is the mean over the seeds (± its standard deviation where shown); the paper's numbers "
            "are the paper's, on BERT, T5 and Pegasus on a GPU, printed beside ours for orientation only.", "",
            "## Where each model stopped"]
    if run.has("stopping"):
        head += ["Every fine-tuning trains up to 10 epochs and stops once validation has not improved for 2; "
                 "`kept/run` is the epoch kept and the epochs run.", "", run.table("stopping").to_markdown(index=False),
                 ""]
    else:
        head += ["This run trained a fixed number of epochs, before the kit stopped on validation.", ""]
    head += [f"![validation curves, Track {t}](../outputs/cpu/figures/track{t}_validation_curves.png)"
             for t in (1, 2) if (run.dir / "figures" / f"track{t}_validation_curves.png").is_file()] + [""]
    return "\n".join([*head, *_track1_section(run), *_track2_section(run), *_claims_section(run),
                      *_tuning_section(run)])


def _tuning_section(run: Run) -> list[str]:
    if not run.has("tuning"):
        return []
    tuned = run.table("tuning")[["system", "setting", "value", "validation", "best_epoch", "kept", "in_profile"]]
    tuned = tuned.fillna({"best_epoch": ""})  # the pooling probe reads the kept encoders: no epoch of its own
    return ["## Tuning on the validation split (seed 42)",
            "Each value tried, the validation score of what goes to test with it (Track 1: the best regressor over "
            "`[embeddings ; person features]`, at each rate and, at the kept rate, each pooling; Track 2: the model's own "
            "macro-F1), the epoch it kept, the kept value and whether the profile uses it:", "", tuned.to_markdown(index=False), "",
            "![tuning](../outputs/cpu/figures/tuning.png)", ""]


def settings_block() -> str:
    """The three-column settings table of the paper profile (and the cpu profile's value where it differs)."""
    from .paper import settings_table
    from .params import load_params

    paper = settings_table(load_params("paper"))
    cpu = {row["setting"]: row["kit"] for row in settings_table(load_params("cpu"))}

    def short(value, key: str | None, profile: str) -> str:
        return f"`{key}` in `params/{profile}.yaml`" if isinstance(value, (list, dict)) else str(value)

    rows = [{"setting": r["setting"], "the paper's text": r["paper"], "the authors' code": r["authors_code"],
             "paper profile": short(r["kit"], r["params_key"], "paper"),
             "cpu profile": "the same" if cpu[r["setting"]] == r["kit"] else
             short(cpu[r["setting"]], r["params_key"], "base")} for r in paper]
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
        body = {"results": readme_block, "settings": lambda _: settings_block(), "benchmark": benchmark_block}[block](run)
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
