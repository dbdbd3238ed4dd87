"""Notebook 05 over several seeds: every table over the seeds, the seed ensemble, the choice by mean validation,
the erroneous submission, what choosing on dev was worth and the claims, written with their figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.evaluation import claims, comparisons, dev_selection, plots
from wassa_lib.evaluation.seed_table import mean_of, sd_of, seed_column
from wassa_lib.scoring.scorer import emotion_scores
from wassa_lib.scoring.tables import save_metrics, save_table
from wassa_lib.settings.layout import (
    figures_dir,
    metrics_dir,
    seed_run_dir,
    table_path,
    tables_dir,
    track1_dir,
    track2_dir,
)

KEYS = {
    "table2": ["source", "kind", "system"],
    "table4": ["model"],
    "table5": ["metric"],
    "erroneous_submission": ["regressor"],
}
HEADLINE = {
    "table2": "average",
    "table4": "macro_f1",
    "table5": "ours",
    "erroneous_submission": "empathy_dev_erroneous",
}


def seed_runs(run_dir: Path, seeds: Sequence[int], current_seed: int) -> dict[int, Path]:
    """The run folder of every seed; an error names the first seed without a finished run."""
    if current_seed not in seeds:
        raise ValueError(f"seeds {list(seeds)} do not include this run's seed {current_seed}")
    runs = {seed: Path(run_dir) if seed == current_seed else seed_run_dir(run_dir, seed) for seed in seeds}
    missing = [seed for seed, run in runs.items() if seed != current_seed and not metrics_dir(run).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"no finished run for seed(s) {', '.join(map(str, missing))} (expected "
            f"{runs[missing[0]]}): run `python -m wassa_lib run --profile <profile> --seeds ...`"
        )
    return runs


def aggregate(name: str, runs: dict[int, Path]) -> pd.DataFrame:
    """``tables/<name>.csv`` of every seed run: for each row and each of this kit's numbers, the mean and
    standard deviation over the seeds, and the headline number of every seed (``<headline>_seed<N>``)."""
    frames = {seed: pd.read_csv(table_path(run, name)) for seed, run in runs.items()}
    if "source" in frames[next(iter(frames))].columns:  # the paper's rows are the same in every seed
        frames = {seed: f[~f["source"].str.startswith("paper")] for seed, f in frames.items()}
    keys = KEYS[name]
    first = frames[next(iter(frames))]
    numbers = [
        c
        for c in first.select_dtypes("number").columns
        if not c.startswith(("paper", "best_in_task", "ci95")) and c not in ("train_s",)
    ]
    stacked = pd.concat([f.assign(seed=seed) for seed, f in frames.items()])
    grouped = stacked.groupby(keys, sort=False)[numbers]
    table = grouped.mean().rename(columns=mean_of).join(grouped.std(ddof=1).rename(columns=sd_of))
    table = table[[c for n in numbers for c in (mean_of(n), sd_of(n))]]
    per_seed = stacked.pivot_table(index=keys, columns="seed", values=HEADLINE[name], sort=False)
    table = table.join(per_seed.rename(columns=lambda seed: seed_column(HEADLINE[name], seed)))
    table.insert(0, "seeds", len(frames))
    others = [c for c in first.columns if c.startswith(("paper", "best_in_task"))]
    return first[keys + others].drop_duplicates(keys).merge(table.reset_index(), on=keys, how="right")


def choice_over_seeds(runs: dict[int, Path]) -> pd.DataFrame:
    """Per track, the candidate with the best **mean validation** score over the seeds (Track 1: the regressors
    over both embeddings and the person features; Track 2: the fine-tuned models that read essays alone),
    beside what each seed chose on its own validation split; ``agrees`` says whether the first seed's choice,
    the one whose predictions went to the test set, is the mean-validation choice."""
    from wassa_lib.track1.finetune import SELECTION_FILE as TRACK1_SELECTION
    from wassa_lib.track2 import SELECTION_FILE as TRACK2_SELECTION

    rows = []
    for track, table, key, valid, keep in (
        (
            "1",
            "table2",
            "regressor",
            "validation_average",
            lambda t: (t["kind"] == "regressor") & (t["source"] == "this kit"),
        ),
        (
            "2",
            "table4",
            "model",
            "valid_macro_f1",
            lambda t: (
                (t["family"] != "floor") & ~t.get("person_features", pd.Series(False, index=t.index)).astype(bool)
            ),
        ),
    ):
        frames = [pd.read_csv(table_path(run, table)) for run in runs.values()]
        stacked = pd.concat([f[keep(f)] for f in frames])
        means = stacked.groupby(key, sort=False)[valid].agg(["mean", "std"])
        chosen = str(means["mean"].idxmax())
        own = []
        for run in runs.values():
            if track == "1":
                own.append(json.loads((track1_dir(run) / TRACK1_SELECTION).read_text())["regressor"])
            else:
                own.append(json.loads((track2_dir(run) / TRACK2_SELECTION).read_text())["model"])
        rows.append(
            {
                "track": track,
                "chosen_by_mean_validation": chosen,
                "mean_validation": round(float(means.loc[chosen, "mean"]), 4),
                "sd_validation": round(float(means.loc[chosen, "std"]), 4) if len(runs) > 1 else np.nan,
                "each_seed_chose": " ".join(f"{seed}:{c}" for seed, c in zip(runs, own)),
                "agrees": own[0] == chosen,
            }
        )
    return pd.DataFrame(rows)


def vote(labels: Sequence[Sequence[str]]) -> list[str]:
    """The label most seeds predicted, per essay (ties: the first in :data:`EMOTIONS` order)."""
    out = []
    for row in zip(*labels):
        counts = {label: row.count(label) for label in EMOTIONS}
        out.append(max(EMOTIONS, key=lambda label: counts[label]))
    return out


def ensemble_scores(gold: Sequence[str], runs: dict[int, Path], file: str) -> dict:
    """The seed ensemble: the label most seeds' submission files (``file``) predict per essay, scored."""
    labels = [(run / "submission" / file).read_text(encoding="utf-8").split() for run in runs.values()]
    return emotion_scores(list(gold), vote(labels))


def _short(system: str) -> str:
    """A Table-2 system's name without the prefix its kind already says."""
    return system.removeprefix("floor: ").removeprefix("as the authors ran it: ")


def _paper_table2(system: str) -> float:
    """The paper's Table-2 average for a regressor row (named as Table 2 labels it), else NaN."""
    from wassa_lib.scoring.paper import TABLE2
    from wassa_lib.track1.regressors import LABELS

    names = {label: key for key, label in LABELS.items()}
    return TABLE2.get(names.get(system, ""), {}).get("average", np.nan)


def _curves(runs: dict[int, Path]) -> dict:
    """Every fine-tuning's training record of every seed run, by seed and name."""
    from wassa_lib.evaluation.records import Track1Record, Track2Record

    return {seed: {**Track1Record.load(run).training, **Track2Record.load(run).training} for seed, run in runs.items()}


def stopping_name(name: str) -> str:
    """How ``stopping.csv`` names a fine-tuning of a run's records: without its track's prefix."""
    return name.removeprefix("track1_").removeprefix("track2_")


def stopping(runs: dict[int, Path]) -> pd.DataFrame:
    """Where every fine-tuning of every seed stopped: ``kept/run`` (the epoch kept, the epochs run) per seed, and
    the seeds in which the cap of epochs, not patience, ended it."""
    from wassa_lib.hf.training_record import CAP

    rows = [
        {
            "model": stopping_name(name),
            "seed": seed,
            "kept/run": f"{training.best_epoch}/{training.ran}",
            "cap": training.stopped_by == CAP,
        }
        for seed, by_name in _curves(runs).items()
        for name, training in by_name.items()
    ]
    frame = pd.DataFrame(rows)
    wide = frame.pivot_table(index="model", columns="seed", values="kept/run", aggfunc="first", sort=False)
    wide.columns = [f"seed {c}: kept/run" for c in wide.columns]
    capped = frame[frame["cap"]].groupby("model", sort=False)["seed"].apply(lambda s: " ".join(map(str, s)))
    return wide.assign(stopped_by_the_cap_in_seeds=capped.reindex(wide.index).fillna("none")).reset_index()


def write(
    runs: dict[int, Path], out: Path, test_emotions: Sequence[str | float], emo_file: str, n_resamples: int = 1000
) -> dict[str, pd.DataFrame]:
    """Write every table over the seed ``runs`` into ``out`` (with one seed: the claims and the dev selection
    alone) and return the ones a reader looks at, by name."""
    shown = {"stopping": stopping(runs)}
    if len(runs) > 1:
        for name in ("table2", "table4", "table5", "erroneous_submission"):
            save_table(aggregate(name, runs), tables_dir(out), f"{name}_seeds")
        shown["choice_seeds"] = choice_over_seeds(runs)
        if pd.Series(test_emotions).notna().all():
            ensemble = ensemble_scores(test_emotions, runs, emo_file)
            table5 = pd.read_csv(table_path(out, "table5"))
            shown["table5_ensemble"] = table5[["metric"]].assign(seed_ensemble=[ensemble[m] for m in table5["metric"]])
        shown["erroneous_submission_seeds"] = pd.read_csv(table_path(out, "erroneous_submission_seeds"))
        table2 = pd.read_csv(table_path(out, "table2_seeds"))
        plots.show(
            plots.seed_spread(
                table2.assign(row=table2["kind"] + ": " + table2["system"].map(_short)),
                "row",
                "average",
                "Table 2 over seeds: dev average Pearson",
                table2["system"].map(_paper_table2),
            ),
            figures_dir(out),
            "table2_seeds",
        )
        table4 = pd.read_csv(table_path(out, "table4_seeds"))
        plots.show(
            plots.seed_spread(
                table4, "model", "macro_f1", "Table 4 over seeds: dev macro-F1", table4.get("paper_macro_f1")
            ),
            figures_dir(out),
            "table4_seeds",
        )
        plots.show(plots.validation_curves_over_seeds(_curves(runs)), figures_dir(out), "validation_curves_seeds")
    shown["dev_selection"] = dev_selection.dev_selection(runs)
    shown["claims"] = pd.concat(
        [claims.claims(comparisons.all_claims(runs), n_resamples), dev_selection.claim_rows(shown["dev_selection"])],
        ignore_index=True,
    )
    for name, frame in shown.items():
        save_table(frame, tables_dir(out), name)
    save_metrics(
        {
            "seeds": sorted(runs),
            "claims": shown["claims"].to_dict(orient="records"),
            "dev_selection": shown["dev_selection"].to_dict(orient="records"),
        },
        out,
        "05_claims",
    )
    plots.show(plots.claims(shown["claims"]), figures_dir(out), "claims")
    return shown
