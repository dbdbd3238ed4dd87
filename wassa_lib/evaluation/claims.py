"""Several seeds: Tables 2, 4 and 5 as mean and standard deviation over seed runs, the seed ensemble, and a
verdict on each of the paper's claims.

A claim compares two systems on dev. Its interval pools, over the seeds, a paired bootstrap over the dev
essays within each seed, so it covers both the seed-to-seed variation of training and the finite dev set.
Verdict: *supported* where the 95% interval lies above 0, *contradicted* where it lies below, *not decided
by this data* where it contains 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.scoring.scorer import emotion_scores, macro_f1, pearson
from wassa_lib.settings.layout import metrics_dir, metrics_path, seed_run_dir, table_path, track1_dir, track2_dir

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "not decided by this data"
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
    table = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_sd"))
    table = table[[c for n in numbers for c in (f"{n}_mean", f"{n}_sd")]]
    per_seed = stacked.pivot_table(index=keys, columns="seed", values=HEADLINE[name], sort=False)
    table = table.join(per_seed.add_prefix(f"{HEADLINE[name]}_seed"))
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


@dataclass
class Comparison:
    """Two systems' dev predictions in every seed, and how to score them."""

    claim: str
    track: str
    system_a: str
    system_b: str
    metric: str
    gold: dict[int, np.ndarray]
    a: dict[int, np.ndarray]
    b: dict[int, np.ndarray]
    score: Callable[[np.ndarray, np.ndarray], float]


def verdict(comparison: Comparison, n_resamples: int = 1000, seed: int = 0) -> dict:
    """Mean difference a - b over seeds, and the 95% interval of the pooled paired bootstrap."""
    rng = np.random.default_rng(seed)
    point, pooled = [], []
    for s in comparison.gold:
        gold, a, b = comparison.gold[s], comparison.a[s], comparison.b[s]
        point.append(comparison.score(gold, a) - comparison.score(gold, b))
        for idx in rng.integers(0, len(gold), size=(n_resamples, len(gold))):
            pooled.append(comparison.score(gold[idx], a[idx]) - comparison.score(gold[idx], b[idx]))
    low, high = np.quantile(pooled, [0.025, 0.975])
    decided = SUPPORTED if low > 0 else CONTRADICTED if high < 0 else UNDECIDED
    return {
        "claim": comparison.claim,
        "track": comparison.track,
        "system_a": comparison.system_a,
        "system_b": comparison.system_b,
        "metric": comparison.metric,
        "seeds": len(comparison.gold),
        "mean_difference": round(float(np.mean(point)), 4),
        "sd_over_seeds": round(float(np.std(point, ddof=1)), 4) if len(point) > 1 else np.nan,
        "ci95_low": round(float(low), 4),
        "ci95_high": round(float(high), 4),
        "verdict": decided,
    }


def _pearson_average(gold: np.ndarray, pred: np.ndarray) -> float:
    return (pearson(gold[:, 0], pred[:, 0], ndigits=None) + pearson(gold[:, 1], pred[:, 1], ndigits=None)) / 2


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    return macro_f1(gold, pred, ndigits=None)


def _track1(runs: dict[int, Path]) -> list[Comparison]:
    preds = {s: pd.read_csv(track1_dir(run) / "dev_predictions.csv") for s, run in runs.items()}
    chosen = {s: json.loads(metrics_path(run, "03_regressor_comparison").read_text()) for s, run in runs.items()}
    gold = {s: p[["gold:empathy", "gold:distress"]].to_numpy() for s, p in preds.items()}

    def system(name_of: Callable[[int], str]) -> dict[int, np.ndarray]:
        return {s: preds[s][[f"{name_of(s)}:empathy", f"{name_of(s)}:distress"]].to_numpy() for s in preds}

    best = lambda s: chosen[s]["best_regressor"]  # noqa: E731
    others = lambda s: max(
        (n for n in chosen[s]["regressors"] if n != "mlp"),  # noqa: E731
        key=lambda n: chosen[s]["regressors"][n]["validation"]["average"],
    )
    floor = lambda s: max(("floor_tfidf", "floor_frozen"), key=lambda n: chosen[s]["floors_validation"][n])  # noqa: E731
    c = lambda claim, a_name, a, b_name, b: Comparison(
        claim,
        "1",
        a_name,
        b_name,
        "dev average Pearson",  # noqa: E731
        gold,
        system(a),
        system(b),
        _pearson_average,
    )
    out = [
        c(
            "sharing both fine-tuned embeddings beats the empathy embedding alone",
            "chosen regressor, both",
            best,
            "chosen regressor, empathy embedding only",
            lambda s: f"{best(s)}:empathy_only",
        ),
        c(
            "sharing both fine-tuned embeddings beats the distress embedding alone",
            "chosen regressor, both",
            best,
            "chosen regressor, distress embedding only",
            lambda s: f"{best(s)}:distress_only",
        ),
        c(
            "the person features help",
            "chosen regressor with person features",
            best,
            "chosen regressor, text only",
            lambda s: f"{best(s)}:text_only",
        ),
        c(
            "the fine-tuned system beats the floors without fine-tuning",
            "chosen regressor",
            best,
            "best floor (by validation)",
            floor,
        ),
    ]
    if all(f"{best(s)}:multitask:empathy" in preds[s].columns for s in preds):
        out.append(
            c(
                "(future work) one encoder with two heads beats two separately fine-tuned encoders",
                "chosen regressor, one joint encoder",
                lambda s: f"{best(s)}:multitask",
                "chosen regressor, two encoders",
                best,
            )
        )
    if all(f"{best(s)}:as_run:empathy" in preds[s].columns for s in preds):
        out.append(
            c(
                "the text's concatenation beats each score's own embedding (what the authors' code ran)",
                "chosen regressor, both embeddings",
                best,
                "chosen regressor, each score's own embedding",
                lambda s: f"{best(s)}:as_run",
            )
        )
    if all("mlp" in chosen[s]["regressors"] for s in chosen):
        out.insert(
            3,
            c("the MLP is the best regressor", "MLP", lambda s: "mlp", "best other regressor (by validation)", others),
        )
    return out


def _person_twin(specs: dict[str, dict], name: str) -> str | None:
    """The row that differs from the person-feature row ``name`` only by reading essays alone."""
    if not specs[name].get("person_features"):
        return None
    same = {**specs[name], "person_features": False}
    return next(
        (
            n
            for n, f in specs.items()
            if n != name and {**f, "person_features": False} == same and not f.get("person_features")
        ),
        None,
    )


def _track2(runs: dict[int, Path]) -> list[Comparison]:
    metrics = {s: json.loads(metrics_path(run, "04_track2").read_text()) for s, run in runs.items()}
    root = {s: track2_dir(run) for s, run in runs.items()}
    predictions = {
        s: {
            name: pd.read_csv(root[s] / name / "dev_predictions.csv", keep_default_na=False)
            for name in metrics[s]["models"]
        }
        for s in runs
    }
    floors = {s: pd.read_csv(root[s] / "floors_dev_predictions.csv", keep_default_na=False) for s in runs}
    first = next(iter(runs))
    gold = {s: predictions[s][next(iter(predictions[s]))]["gold"].to_numpy() for s in runs}
    specs = metrics[first].get("families", {})
    by_family = lambda family, incremental: [
        n
        for n, f in specs.items()  # noqa: E731
        if f["family"] == family and f["incremental"] == incremental and not f.get("person_features")
    ]

    def best_of(names: list[str]) -> Callable[[int], str]:
        return lambda s: max(names, key=lambda n: metrics[s]["models"][n]["valid_macro_f1"])

    def system(name_of: Callable[[int], str]) -> dict[int, np.ndarray]:
        return {s: predictions[s][name_of(s)]["predicted"].to_numpy() for s in runs}

    floor_names = [n for n in floors[first].columns if n != "majority class"]
    best_floor = lambda s: max(floor_names, key=lambda n: metrics[s]["floors"][n]["valid_macro_f1"])  # noqa: E731
    out = []
    generation, classification = by_family("generation", False), by_family("classification", False)
    if generation and classification:
        out.append(
            Comparison(
                "label generation beats classification",
                "2",
                "best generation model (no CARER stage)",
                "best classifier",
                "dev macro-F1",
                gold,
                system(best_of(generation)),
                system(best_of(classification)),
                _f1,
            )
        )
    incremental = by_family("generation", True)
    for name in incremental:
        base = next((n for n in generation if specs[n]["base"] == specs[name]["base"]), None)
        if base:
            out.append(
                Comparison(
                    "task-specific incremental fine-tuning (a CARER stage first) helps",
                    "2",
                    name,
                    base,
                    "dev macro-F1",
                    gold,
                    system(lambda s, n=name: n),
                    system(lambda s, n=base: n),
                    _f1,
                )
            )
    for name in specs:
        twin = _person_twin(specs, name)
        if twin:
            out.append(
                Comparison(
                    "(future work) the person features help Track 2 too",
                    "2",
                    name,
                    twin,
                    "dev macro-F1",
                    gold,
                    system(lambda s, n=name: n),
                    system(lambda s, n=twin: n),
                    _f1,
                )
            )
    out.append(
        Comparison(
            "the fine-tuned systems beat the floors without fine-tuning",
            "2",
            "selected model (by validation)",
            "best floor (by validation)",
            "dev macro-F1",
            gold,
            system(lambda s: metrics[s]["selected"]),
            {s: floors[s][best_floor(s)].to_numpy() for s in runs},
            _f1,
        )
    )
    return out


def claims(runs: dict[int, Path], n_resamples: int = 1000) -> pd.DataFrame:
    """``claims.csv``: one row per claim of the paper, with its verdict on this profile's dev runs."""
    rows = [verdict(c, n_resamples) for c in [*_track1(runs), *_track2(runs)]]
    return pd.DataFrame(rows)


def ensemble_scores(gold: Sequence[str], runs: dict[int, Path], file: str) -> dict:
    """The seed ensemble: the label most seeds' submission files (``file``) predict per essay, scored."""
    labels = [(run / "submission" / file).read_text(encoding="utf-8").split() for run in runs.values()]
    return emotion_scores(list(gold), vote(labels))
