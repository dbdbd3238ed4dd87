"""Notebook 05 over several seeds: every table over the seeds, the seed ensemble, the choice by mean validation,
the erroneous submission, what choosing on dev was worth and the claims, written with their figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from wassa_lib.evaluation import claims, dev_selection, plots
from wassa_lib.scoring.tables import save_metrics, save_table
from wassa_lib.settings.layout import figures_dir, table_path, tables_dir


def stopping(runs: dict[int, Path]) -> pd.DataFrame:
    """Where every fine-tuning of every seed stopped: ``kept/run`` (the epoch kept, the epochs run) per seed, and
    the seeds in which the cap of epochs, not patience, ended it."""
    from wassa_lib.evaluation.records import Track1Record, Track2Record

    rows = []
    for seed, run in runs.items():
        for record in (Track1Record.load(run), Track2Record.load(run)):
            for name, training in record.training.items():
                rows.append(
                    {
                        "model": name.removeprefix("track1_").removeprefix("track2_"),
                        "seed": seed,
                        "kept/run": f"{training['best_epoch']}/{training['epochs_run']}",
                        "cap": training["stopped_by"] == "cap",
                    }
                )
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
            save_table(claims.aggregate(name, runs), tables_dir(out), f"{name}_seeds")
        shown["choice_seeds"] = claims.choice_over_seeds(runs)
        if pd.Series(test_emotions).notna().all():
            ensemble = claims.ensemble_scores(test_emotions, runs, emo_file)
            table5 = pd.read_csv(table_path(out, "table5"))
            shown["table5_ensemble"] = table5[["metric"]].assign(seed_ensemble=[ensemble[m] for m in table5["metric"]])
        shown["erroneous_submission_seeds"] = pd.read_csv(table_path(out, "erroneous_submission_seeds"))
        table2 = pd.read_csv(table_path(out, "table2_seeds"))
        plots.show(
            plots.seed_spread(
                table2.assign(row=table2["kind"] + ": " + table2["system"]),
                "row",
                "average",
                "Table 2 over seeds: dev average Pearson",
            ),
            figures_dir(out),
            "table2_seeds",
        )
        plots.show(
            plots.seed_spread(
                pd.read_csv(table_path(out, "table4_seeds")), "model", "macro_f1", "Table 4 over seeds: dev macro-F1"
            ),
            figures_dir(out),
            "table4_seeds",
        )
    shown["dev_selection"] = dev_selection.dev_selection(runs)
    shown["claims"] = pd.concat(
        [claims.claims(runs, n_resamples), dev_selection.claim_rows(shown["dev_selection"])], ignore_index=True
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
