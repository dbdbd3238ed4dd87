"""Notebook 05 over several seeds: every table over the seeds, the seed ensemble, the choice by mean validation,
the erroneous submission, what choosing on dev was worth and the claims, written with their figures."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from . import claims, dev_selection, plots
from .layout import figures_dir, table_path, tables_dir
from .tables import save_metrics, save_table


def write(runs: dict[int, Path], out: Path, test_emotions: Sequence[str | float], emo_file: str,
          n_resamples: int = 1000) -> dict[str, pd.DataFrame]:
    """Write every table over the seed ``runs`` into ``out`` (with one seed: the claims and the dev selection
    alone) and return the ones a reader looks at, by name."""
    shown = {}
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
        plots.show(plots.seed_spread(table2.assign(row=table2["kind"] + ": " + table2["system"]), "row", "average",
                                     "Table 2 over seeds: dev average Pearson"), figures_dir(out), "table2_seeds")
        plots.show(plots.seed_spread(pd.read_csv(table_path(out, "table4_seeds")), "model", "macro_f1",
                                     "Table 4 over seeds: dev macro-F1"), figures_dir(out), "table4_seeds")
    shown["dev_selection"] = dev_selection.dev_selection(runs)
    shown["claims"] = pd.concat([claims.claims(runs, n_resamples), dev_selection.claim_rows(shown["dev_selection"])],
                                ignore_index=True)
    for name, frame in shown.items():
        save_table(frame, tables_dir(out), name)
    save_metrics({"seeds": sorted(runs), "claims": shown["claims"].to_dict(orient="records"),
                  "dev_selection": shown["dev_selection"].to_dict(orient="records")}, out, "05_claims")
    plots.show(plots.claims(shown["claims"]), figures_dir(out), "claims")
    return shown
