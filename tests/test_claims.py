"""Several seeds and the claims: aggregation over seed runs, the seed ensemble, verdicts, and a two-seed smoke run."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from wassa_lib.evaluation import claims
from wassa_lib.runner.run import Runner
from wassa_lib.settings.layout import seed_run_dir


def _comparison(a, b, gold, seeds=(1, 2)) -> claims.Comparison:
    return claims.Comparison(
        "a beats b",
        "2",
        "a",
        "b",
        "dev macro-F1",
        {s: gold for s in seeds},
        {s: a for s in seeds},
        {s: b for s in seeds},
        claims._f1,
    )


def test_verdicts_follow_the_interval():
    rng = np.random.default_rng(0)
    labels = np.array(["joy", "anger", "fear", "sadness"])
    gold = rng.choice(labels, 200)
    noisy = np.where(rng.random(200) < 0.2, gold, rng.choice(labels, 200))
    assert claims.verdict(_comparison(gold, noisy, gold), 200)["verdict"] == claims.SUPPORTED
    assert claims.verdict(_comparison(noisy, gold, gold), 200)["verdict"] == claims.CONTRADICTED
    same = claims.verdict(_comparison(noisy, noisy, gold), 200)
    assert same["verdict"] == claims.UNDECIDED and same["mean_difference"] == 0.0 and same["seeds"] == 2


def test_aggregate_gives_mean_sd_and_each_seed(tmp_path):
    runs = {}
    for seed, values in ((1, [0.5, 0.2]), (2, [0.7, 0.4])):
        run = tmp_path / f"run{seed}" / "tables"
        run.mkdir(parents=True)
        pd.DataFrame(
            {"model": ["gen", "cls"], "paper_macro_f1": [0.52, 0.38], "macro_f1": values, "valid_macro_f1": values}
        ).to_csv(run / "table4.csv", index=False)
        runs[seed] = run.parent
    table = claims.aggregate("table4", runs).set_index("model")
    assert table.loc["gen", "macro_f1_mean"] == pytest.approx(0.6)
    assert table.loc["gen", "macro_f1_sd"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert (table.loc["cls", "macro_f1_seed1"], table.loc["cls", "macro_f1_seed2"]) == (0.2, 0.4)
    assert table.loc["gen", "paper_macro_f1"] == 0.52 and table.loc["gen", "seeds"] == 2


def test_vote_takes_the_label_most_seeds_predict():
    assert claims.vote([["joy", "fear"], ["joy", "anger"], ["sadness", "anger"]]) == ["joy", "anger"]


def test_a_missing_seed_run_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"seed\(s\) 9 \(expected .*cpu-seed9\)"):
        claims.seed_runs(tmp_path / "cpu", [42, 9], 42)


def test_two_seeds_of_the_smoke_profile_give_tables_over_seeds_and_claims(smoke_run, tmp_path, maybe_real_dir):
    """Notebook 05 over two seed runs; the second is a copy of the first (the seeds' training is the smoke
    run's; what is tested here is everything notebook 05 builds over seeds)."""
    data = json.loads((smoke_run / "manifest.json").read_text())["params"]["data_dir"]
    main = tmp_path / "smoke"
    shutil.copytree(smoke_run, main)
    shutil.copytree(smoke_run, seed_run_dir(main, 7))
    Runner(
        "smoke", only=["05"], seeds=[42, 7], output_dir=str(main), data_dir=data, log_output=False, echo=lambda _: None
    ).run()
    for name in ("table2", "table4", "table5"):
        table = pd.read_csv(main / "tables" / f"{name}_seeds.csv")
        headline = claims.HEADLINE[name]
        assert (table["seeds"] == 2).all()
        assert table[f"{headline}_mean"].notna().all() and table[f"{headline}_sd"].notna().all()
        assert {f"{headline}_seed42", f"{headline}_seed7"} <= set(table.columns)
    verdicts = pd.read_csv(main / "tables" / "claims.csv")
    assert len(verdicts) >= 6 and set(verdicts["verdict"]) <= {claims.SUPPORTED, claims.CONTRADICTED, claims.UNDECIDED}
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
