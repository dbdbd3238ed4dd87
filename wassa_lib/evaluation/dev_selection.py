"""What choosing on dev was worth: the authors' code chose on the dev set it reported; the kit chooses on validation.

For each choice the authors' code made on dev, the dev score of what it would have picked beside the dev score of
what the kit picked on validation, per seed (every number read from the seed runs' records):

* the Track-1 encoder epoch: by the dev Pearson averaged over batches of 32 essays (the authors' criterion),
  against the epoch validation kept; measured on the encoders' own heads (the regressors read embeddings
  of the kept epoch only);
* the Track-1 regressor: the best dev average Pearson against the one validation chose;
* the Track-2 model's epoch: the last epoch run (the authors predicted dev with the model as it was after
  the last epoch), and the best dev epoch, against the epoch validation kept;
* Track-2 predictions: free generation with an invalid output counted as ``neutral`` (the authors' rule)
  against label scoring, at the kept epoch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from wassa_lib.data.wassa import SCORES
from wassa_lib.evaluation.records import Track1Record, Track2Record
from wassa_lib.scoring.scorer import macro_f1
from wassa_lib.settings.layout import track2_dir
from wassa_lib.track1.table2_record import Table2Record

COLUMNS = ["choice", "kit_way", "authors_way", "seeds", "kit_dev", "authors_dev", "difference", "ci95_low", "ci95_high"]


def _per_seed(run: Path) -> list[dict]:
    """One row per choice for the seed run ``run``."""
    from wassa_lib.track2 import parse_generation

    rows = []
    track1 = Track1Record.load(run).training
    for score in SCORES:
        record = track1[f"track1_{score}"]
        kept = record.kept_dev()
        if kept is None:  # a training resumed before its dev scores were checkpointed
            continue
        dev = record.dev_by_epoch or []
        authors = int(np.argmax([d["batch_mean_pearson"] for d in dev]))
        rows.append(
            {
                "choice": f"Track-1 {score} encoder epoch (its head's dev Pearson)",
                "kit_way": "best validation epoch",
                "authors_way": "best dev epoch (mean of per-batch Pearson)",
                "kit_dev": kept["pearson"],
                "authors_dev": dev[authors]["pearson"],
            }
        )
    regressors = Table2Record.load(run)
    rows.append(
        {
            "choice": "Track-1 regressor (dev average Pearson)",
            "kit_way": "best validation average",
            "authors_way": "best dev average",
            "kit_dev": regressors.best_dev["average"],
            "authors_dev": max(r["dev"]["average"] for r in regressors.regressors.values()),
        }
    )
    track2 = Track2Record.load(run)
    selected = track2.selected
    record = track2.training[f"track2_{selected}"]
    dev = [d["macro_f1"] for d in record.dev_by_epoch or []]
    kept_scores = record.kept_dev()
    if kept_scores is not None:
        kept = kept_scores["macro_f1"]
        rows.append(
            {
                "choice": "Track-2 epoch of the selected model (dev macro-F1)",
                "kit_way": "best validation epoch",
                "authors_way": "last epoch run",
                "kit_dev": kept,
                "authors_dev": dev[-1],
            }
        )
        rows.append(
            {
                "choice": "Track-2 epoch of the selected model (dev macro-F1)",
                "kit_way": "best validation epoch",
                "authors_way": "best dev epoch",
                "kit_dev": kept,
                "authors_dev": max(dev),
            }
        )
    predictions = pd.read_csv(track2_dir(run) / selected / "dev_predictions.csv", keep_default_na=False)
    if "generated" in predictions:
        free = [parse_generation(g) or "neutral" for g in predictions["generated"]]
        rows.append(
            {
                "choice": "Track-2 predictions of the selected model (dev macro-F1)",
                "kit_way": "label scoring",
                "authors_way": "free generation, invalid counted as neutral",
                "kit_dev": track2.models[selected].macro_f1,
                "authors_dev": macro_f1(predictions["gold"].to_numpy(), np.asarray(free)),
            }
        )
    return rows


def dev_selection(runs: dict[int, Path]) -> pd.DataFrame:
    """Per choice, the mean dev score over the seeds each way, their mean difference (authors - kit) and its
    95% t-interval over the seeds (NaN with one seed)."""
    rows = [{**row, "seed": seed} for seed, run in runs.items() for row in _per_seed(run)]
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["authors_dev"] - frame["kit_dev"]
    out = []
    for (choice, kit_way, authors_way), group in frame.groupby(["choice", "kit_way", "authors_way"], sort=False):
        diff = group["difference"].to_numpy(dtype=float)
        n = len(diff)
        half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        out.append(
            {
                "choice": choice,
                "kit_way": kit_way,
                "authors_way": authors_way,
                "seeds": n,
                "kit_dev": round(float(group["kit_dev"].mean()), 4),
                "authors_dev": round(float(group["authors_dev"].mean()), 4),
                "difference": round(float(diff.mean()), 4),
                "ci95_low": round(float(diff.mean() - half), 4),
                "ci95_high": round(float(diff.mean() + half), 4),
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def claim_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the shape of ``claims.csv`` for the choices that pick a model on dev (the Track-1 regressor and
    the Track-2 epoch by dev): *supported* where the interval of (authors - kit) lies above 0, i.e. choosing on
    dev reports a higher dev score than the system chosen on validation earns."""
    from wassa_lib.evaluation.claims import NO_PAPER_NUMBER, sign_verdict

    picked = table[table["authors_way"].isin(["best dev average", "best dev epoch"])]
    return pd.DataFrame(
        [
            {
                "claim": f"choosing on dev, as the authors' code did, overstates dev ({row.choice})",
                "track": row.choice.split()[0].removeprefix("Track-"),
                "system_a": row.authors_way,
                "system_b": row.kit_way,
                "metric": "dev score",
                "evidence": "dev",
                "seeds": row.seeds,
                "mean_difference": row.difference,
                "sd_over_seeds": np.nan,
                "ci95_low": row.ci95_low,
                "ci95_high": row.ci95_high,
                "verdict": sign_verdict(row.ci95_low, row.ci95_high),
                "size_verdict": NO_PAPER_NUMBER,
            }
            for row in picked.itertuples()
        ]
    )
