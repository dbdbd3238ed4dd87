"""Several seeds and the claims: aggregation over seed runs, the seed ensemble, verdicts, and a two-seed smoke run."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from wassa_lib.evaluation import claims
from wassa_lib.evaluation import seeds as over_seeds
from wassa_lib.evaluation.comparisons import f1
from wassa_lib.runner.run import Runner
from wassa_lib.settings.layout import seed_run_dir

LABELS = np.array(["joy", "anger", "fear", "sadness"])


def _comparison(a, b, gold, seeds=(1, 2), paper=None) -> claims.Comparison:
    """Track-2-like: ``a``, ``b`` and ``gold`` are label arrays, or dicts of them by seed."""
    by_seed = lambda x: x if isinstance(x, dict) else {s: x for s in seeds}  # noqa: E731
    gold, a, b = by_seed(gold), by_seed(a), by_seed(b)
    split = np.full(len(next(iter(gold.values()))), "dev")
    return claims.Comparison("a beats b", "2", "a", "b", "macro-F1", gold, a, b, f1, split, paper)


def _noisy(gold, right, rng):
    """``gold`` with a share ``right`` of it kept, the rest drawn at random."""
    return np.where(rng.random(len(gold)) < right, gold, rng.choice(LABELS, len(gold)))


def test_verdicts_follow_the_interval():
    rng = np.random.default_rng(0)
    gold = rng.choice(LABELS, 200)
    noisy = _noisy(gold, 0.2, rng)
    assert claims.verdict(_comparison(gold, noisy, gold), 200)["verdict"] == claims.SUPPORTED
    assert claims.verdict(_comparison(noisy, gold, gold), 200)["verdict"] == claims.CONTRADICTED
    same = claims.verdict(_comparison(noisy, noisy, gold), 200)
    assert same["verdict"] == claims.UNDECIDED and same["mean_difference"] == 0.0 and same["seeds"] == 2


def test_every_size_verdict_is_reachable_against_the_paper():
    assert claims.size_verdict(0.01, 0.03, 0.052) == claims.SMALLER
    assert claims.size_verdict(-0.01, 0.08, 0.052) == claims.AS_PAPER
    assert claims.size_verdict(0.06, 0.09, 0.052) == claims.LARGER
    assert claims.size_verdict(0.06, 0.09, None) == claims.NO_PAPER_NUMBER
    rng = np.random.default_rng(1)
    gold = rng.choice(LABELS, 300)
    row = claims.verdict(_comparison(_noisy(gold, 0.6, rng), _noisy(gold, 0.5, rng), gold, paper=0.9), 200)
    assert row["size_verdict"] == claims.SMALLER and row["paper_difference"] == 0.9


def test_the_interval_is_the_central_95_percent():
    assert claims.quantile_interval(np.arange(1001) / 1000) == pytest.approx((0.025, 0.975))


def test_the_bootstrap_is_paired_over_essays():
    """b is a with ten right answers made wrong: every paired resample favours a; resampled apart, the two
    scores' own spread (about 0.03 each) would swamp a difference of about 0.03."""
    rng = np.random.default_rng(2)
    gold = rng.choice(LABELS, 300)
    a = _noisy(gold, 0.6, rng)
    b = a.copy()
    flip = np.flatnonzero(a == gold)[:10]
    b[flip] = np.array([LABELS[(list(LABELS).index(g) + 1) % 4] for g in gold[flip]])
    row = claims.verdict(_comparison(a, b, gold, seeds=(1,)), 500)
    assert row["verdict"] == claims.SUPPORTED and row["ci95_low"] > 0


def test_one_seed_still_resamples_the_essays():
    rng = np.random.default_rng(3)
    gold = rng.choice(LABELS, 200)
    row = claims.verdict(_comparison(_noisy(gold, 0.5, rng), _noisy(gold, 0.45, rng), gold, seeds=(1,)), 300)
    assert row["ci95_high"] - row["ci95_low"] > 0.02
    assert row["ci95_low"] <= row["mean_difference"] <= row["ci95_high"]


def test_the_interval_of_the_mean_narrows_as_seeds_are_added():
    """Each seed's systems are as good as that seed's training made them: the seed-to-seed spread dominates.
    The mean over 24 seeds is known better than the mean over 3; the pooled interval is not."""
    rng = np.random.default_rng(4)
    gold = rng.choice(LABELS, 200)
    runs = {s: (_noisy(gold, rng.uniform(0.3, 0.7), rng), _noisy(gold, rng.uniform(0.3, 0.7), rng)) for s in range(24)}

    def row(seeds):
        a, b = {s: runs[s][0] for s in seeds}, {s: runs[s][1] for s in seeds}
        return claims.verdict(_comparison(a, b, gold, seeds=seeds), 300)

    few, many = row(range(3)), row(range(24))
    width = lambda r: r["ci95_high"] - r["ci95_low"]  # noqa: E731
    assert width(many) < 0.7 * width(few)
    assert many["pooled_width"] > 0.8 * few["pooled_width"]  # the former interval: one run's width


def test_aggregate_gives_mean_sd_and_each_seed(tmp_path):
    runs = {}
    for seed, values in ((1, [0.5, 0.2]), (2, [0.7, 0.4])):
        run = tmp_path / f"run{seed}" / "tables"
        run.mkdir(parents=True)
        pd.DataFrame(
            {"model": ["gen", "cls"], "paper_macro_f1": [0.52, 0.38], "macro_f1": values, "valid_macro_f1": values}
        ).to_csv(run / "table4.csv", index=False)
        runs[seed] = run.parent
    table = over_seeds.aggregate("table4", runs).set_index("model")
    assert table.loc["gen", "macro_f1_mean"] == pytest.approx(0.6)
    assert table.loc["gen", "macro_f1_sd"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert (table.loc["cls", "macro_f1_seed1"], table.loc["cls", "macro_f1_seed2"]) == (0.2, 0.4)
    assert table.loc["gen", "paper_macro_f1"] == 0.52 and table.loc["gen", "seeds"] == 2
    from wassa_lib.evaluation.seed_table import seed_columns

    assert seed_columns(table, "macro_f1") == {1: "macro_f1_seed1", 2: "macro_f1_seed2"}  # what plots and report read
    assert seed_columns(table, "valid_macro_f1") == {}  # only the headline has a column per seed


def test_vote_takes_the_label_most_seeds_predict():
    assert over_seeds.vote([["joy", "fear"], ["joy", "anger"], ["sadness", "anger"]]) == ["joy", "anger"]


def test_a_missing_seed_run_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"seed\(s\) 9 \(expected .*cpu-seed9\)"):
        over_seeds.seed_runs(tmp_path / "cpu", [42, 9], 42)


def test_two_seeds_of_the_smoke_profile_give_tables_over_seeds_and_claims(smoke_run, tmp_path, smoke_data):
    """Notebook 05 over two seed runs; the second is a copy of the first (the seeds' training is the smoke
    run's; what is tested here is everything notebook 05 builds over seeds)."""
    data = str(smoke_data)
    main = tmp_path / "smoke"
    shutil.copytree(smoke_run, main)
    shutil.copytree(smoke_run, seed_run_dir(main, 7))
    Runner(
        "smoke", only=["05"], seeds=[42, 7], output_dir=str(main), data_dir=data, log_output=False, echo=lambda _: None
    ).run()
    for name in ("table2", "table4", "table5"):
        table = pd.read_csv(main / "tables" / f"{name}_seeds.csv")
        headline = over_seeds.HEADLINE[name]
        assert (table["seeds"] == 2).all()
        assert table[f"{headline}_mean"].notna().all() and table[f"{headline}_sd"].notna().all()
        assert {f"{headline}_seed42", f"{headline}_seed7"} <= set(table.columns)
    verdicts = pd.read_csv(main / "tables" / "claims.csv")
    assert len(verdicts) >= 6 and set(verdicts["verdict"]) <= {claims.SUPPORTED, claims.CONTRADICTED, claims.UNDECIDED}
    assert set(verdicts["size_verdict"]) <= {claims.SMALLER, claims.AS_PAPER, claims.LARGER, claims.NO_PAPER_NUMBER}
    assert (verdicts["seeds"] == 2).all() and verdicts[["mean_difference", "ci95_low", "ci95_high"]].notna().all().all()
    selection = pd.read_csv(main / "tables" / "dev_selection.csv")
    assert (selection["seeds"] == 2).all() and (selection["authors_dev"] - selection["kit_dev"]).round(4).equals(
        selection["difference"]
    )
    assert (main / "figures" / "claims.png").is_file() and (main / "figures" / "table4_seeds.png").is_file()
    stopping = pd.read_csv(main / "tables" / "stopping.csv").set_index("model")
    records = json.loads((main / "metrics" / "02_track1_finetune.json").read_text())["training"]
    kept, run = records["track1_empathy"]["best_epoch"], records["track1_empathy"]["epochs_run"]
    assert (
        stopping.loc["empathy", "seed 42: kept/run"] == stopping.loc["empathy", "seed 7: kept/run"] == f"{kept}/{run}"
    )
    assert (verdicts["ci95_low"] <= verdicts["ci95_high"]).all()
    assert set(verdicts["track"].astype(str)) == {"1", "2"}
    track2 = verdicts[(verdicts["track"].astype(str) == "2") & verdicts["paper_difference"].notna()]
    assert not track2.empty and track2["evidence"].str.contains("test").all()  # every row predicted test
    assert track2["mean_difference_test"].notna().all() and track2["mean_difference_dev"].notna().all()
    track1 = verdicts[verdicts["track"].astype(str) == "1"]
    assert (track1["evidence"].str.startswith("dev") & ~track1["evidence"].str.contains("test")).all()
    assert (main / "tables" / "table5_ensemble.csv").is_file()
    choice = pd.read_csv(main / "tables" / "choice_seeds.csv").set_index("track")
    table4 = pd.read_csv(main / "tables" / "table4_seeds.csv").set_index("model")
    families = json.loads((main / "metrics" / "04_track2.json").read_text())["families"]
    models = [m for m, family in families.items() if not family.get("person_features")]  # served models only
    best = table4.loc[models, "valid_macro_f1_mean"].idxmax()
    assert choice.loc[2, "chosen_by_mean_validation"] == best
    assert choice.loc[2, "mean_validation"] == pytest.approx(table4.loc[best, "valid_macro_f1_mean"], abs=1e-4)
    assert set(choice.loc[2, "each_seed_chose"].split()) <= {f"{s}:{m}" for s in (42, 7) for m in models}
    assert choice.loc[1, "chosen_by_mean_validation"] in {"svr", "xgboost", "adaboost", "mlp"}
