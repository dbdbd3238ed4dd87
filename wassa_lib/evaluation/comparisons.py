"""The paper's claims as comparisons between two systems of every seed run (:class:`~.claims.Comparison`).

Track 1 compares on dev: its test gold was never released. Track 2 compares on dev and, where every row
of every seed predicted the test essays and the test file has emotion gold, on test too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from wassa_lib.evaluation.claims import Comparison
from wassa_lib.evaluation.records import FamilyEntry, Track2Record
from wassa_lib.scoring.paper import PAPER_EFFECTS
from wassa_lib.scoring.scorer import macro_f1, pearson
from wassa_lib.settings.layout import track1_dir, track2_dir
from wassa_lib.track1.table2_record import Table2Record

TRACK1_METRIC = "average Pearson"
TRACK2_METRIC = "macro-F1"
DEV_FILE, TEST_FILE = "dev_predictions.csv", "test_predictions.csv"
FLOORS_DEV, FLOORS_TEST = "floors_dev_predictions.csv", "floors_test_predictions.csv"


def pearson_average(gold: np.ndarray, pred: np.ndarray) -> float:
    """The mean of the empathy and distress Pearson (columns 0 and 1), unrounded."""
    return (pearson(gold[:, 0], pred[:, 0], ndigits=None) + pearson(gold[:, 1], pred[:, 1], ndigits=None)) / 2


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    return macro_f1(gold, pred, ndigits=None)


class _Track1Runs:
    """Every Track-1 system's dev predictions in every seed, named by value (system, variant)."""

    def __init__(self, runs: dict[int, Path]) -> None:
        self.preds = {s: pd.read_csv(track1_dir(run) / DEV_FILE, keep_default_na=False) for s, run in runs.items()}
        self.chosen = {s: Table2Record.load(run) for s, run in runs.items()}
        self.gold = {s: self.rows(s, "gold") for s in self.preds}
        self.split = np.full(len(next(iter(self.gold.values()))), "dev")

    def rows(self, s: int, system: str, variant: str = "") -> np.ndarray:
        frame = self.preds[s]
        picked = frame[(frame["system"] == system) & (frame["variant"] == variant)].sort_values("essay")
        return picked[["empathy", "distress"]].to_numpy()

    def best(self, s: int) -> tuple[str, str]:
        return self.chosen[s].best_regressor, ""

    def variant(self, name: str) -> Callable[[int], tuple[str, str]]:
        return lambda s: (self.chosen[s].best_regressor, name)

    def best_other(self, s: int) -> tuple[str, str]:
        record = self.chosen[s]
        return max((n for n in record.regressors if n != "mlp"), key=record.validation_average), ""

    def floor(self, s: int) -> tuple[str, str]:
        return max(self.chosen[s].floors_validation, key=self.chosen[s].floors_validation.get), ""

    def has(self, name: str) -> bool:
        return all(len(self.rows(s, self.chosen[s].best_regressor, name)) for s in self.preds)

    def compare(self, claim, a_name, a, b_name, b, paper=None) -> Comparison:
        systems = [{s: self.rows(s, *pick(s)) for s in self.preds} for pick in (a, b)]
        return Comparison(
            claim, "1", a_name, b_name, TRACK1_METRIC, self.gold, *systems, pearson_average, self.split, paper
        )


def track1(runs: dict[int, Path]) -> list[Comparison]:
    """Track 1's claims on dev, with the chosen regressor (on validation) of each seed."""
    t1 = _Track1Runs(runs)
    compare, best, variant = t1.compare, t1.best, t1.variant
    out = [
        compare(
            "sharing both fine-tuned embeddings beats the empathy embedding alone",
            "chosen regressor, both",
            best,
            "chosen regressor, empathy embedding only",
            variant("empathy_only"),
        ),
        compare(
            "sharing both fine-tuned embeddings beats the distress embedding alone",
            "chosen regressor, both",
            best,
            "chosen regressor, distress embedding only",
            variant("distress_only"),
        ),
        compare(
            "the person features help",
            "chosen regressor with person features",
            best,
            "chosen regressor, text only",
            variant("text_only"),
        ),
    ]
    if all("mlp" in record.regressors for record in t1.chosen.values()):
        out.append(
            compare(
                "the MLP is the best regressor",
                "MLP",
                lambda s: ("mlp", ""),
                "best other regressor (by validation)",
                t1.best_other,
                PAPER_EFFECTS["mlp_best_regressor"],
            )
        )
    out.append(
        compare(
            "the fine-tuned system beats the floors without fine-tuning",
            "chosen regressor",
            best,
            "best floor (by validation)",
            t1.floor,
        )
    )
    if t1.has("multitask"):
        out.append(
            compare(
                "(future work) one encoder with two heads beats two separately fine-tuned encoders",
                "chosen regressor, one joint encoder",
                variant("multitask"),
                "chosen regressor, two encoders",
                best,
            )
        )
    if t1.has("as_run"):
        out.append(
            compare(
                "the text's concatenation beats each score's own embedding (what the authors' code ran)",
                "chosen regressor, both embeddings",
                best,
                "chosen regressor, each score's own embedding",
                variant("as_run"),
            )
        )
    return out


def _person_twin(specs: dict[str, FamilyEntry], name: str) -> str | None:
    """The row that differs from the person-feature row ``name`` only by reading essays alone."""
    if not specs[name].person_features:
        return None
    same = dataclasses.replace(specs[name], person_features=False)
    return next((n for n, f in specs.items() if n != name and f == same), None)


def _read(folder: Path, files: tuple[str, ...]) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(folder / f, keep_default_na=False).assign(split=f.split("_")[-2]) for f in files],
        ignore_index=True,
    )


def _with_test(roots: dict[int, Path], names: list[str]) -> bool:
    """Whether every row of every seed predicted the test essays, with emotion gold to score them."""
    for root in roots.values():
        if not (root / FLOORS_TEST).is_file() or not all((root / n / TEST_FILE).is_file() for n in names):
            return False
        if (pd.read_csv(root / names[0] / TEST_FILE, keep_default_na=False)["gold"] == "").any():
            return False
    return True


class _Track2Runs:
    """Every Track-2 row's held-out predictions in every seed (dev, and test where all have it)."""

    def __init__(self, runs: dict[int, Path]) -> None:
        self.records = {s: Track2Record.load(run) for s, run in runs.items()}
        roots = {s: track2_dir(run) for s, run in runs.items()}
        names = list(self.records[next(iter(runs))].models)
        files = (DEV_FILE, TEST_FILE) if _with_test(roots, names) else (DEV_FILE,)
        floor_files = tuple(FLOORS_DEV if f == DEV_FILE else FLOORS_TEST for f in files)
        self.rows = {s: {n: _read(roots[s] / n, files) for n in names} for s in runs}
        self.floors = {s: _read(roots[s], floor_files) for s in runs}
        first = self.rows[next(iter(runs))][names[0]]
        self.gold = {s: self.rows[s][names[0]]["gold"].to_numpy() for s in runs}
        self.split = first["split"].to_numpy()
        self.specs = self.records[next(iter(runs))].families or {}

    def family(self, family: str, incremental: bool) -> list[str]:
        return [
            n
            for n, f in self.specs.items()
            if f.family == family and f.incremental == incremental and not f.person_features
        ]

    def best_of(self, names: list[str]) -> Callable[[int], str]:
        return lambda s: max(names, key=lambda n: self.records[s].models[n].valid_macro_f1)

    def system(self, name_of: Callable[[int], str]) -> dict[int, np.ndarray]:
        return {s: self.rows[s][name_of(s)]["predicted"].to_numpy() for s in self.rows}

    def best_floor(self) -> dict[int, np.ndarray]:
        names = [c for c in self.floors[next(iter(self.floors))].columns if c not in ("majority class", "split")]
        pick = {s: max(names, key=lambda n: self.records[s].floors[n].valid_macro_f1) for s in self.floors}
        return {s: self.floors[s][pick[s]].to_numpy() for s in self.floors}

    def compare(self, claim, a_name, a, b_name, b, paper=None) -> Comparison:
        return Comparison(claim, "2", a_name, b_name, TRACK2_METRIC, self.gold, a, b, f1, self.split, paper)


def track2(runs: dict[int, Path]) -> list[Comparison]:
    """Track 2's claims, each system the one its seed chose on validation."""
    t2 = _Track2Runs(runs)
    out = []
    generation, classification = t2.family("generation", False), t2.family("classification", False)
    if generation and classification:
        out.append(
            t2.compare(
                "label generation beats classification",
                "best generation model (no CARER stage)",
                t2.system(t2.best_of(generation)),
                "best classifier",
                t2.system(t2.best_of(classification)),
                PAPER_EFFECTS["generation_vs_classification"],
            )
        )
    for name in t2.family("generation", True):
        base = next((n for n in generation if t2.specs[n].base == t2.specs[name].base), None)
        if base:
            out.append(
                t2.compare(
                    "task-specific incremental fine-tuning (a CARER stage first) helps",
                    name,
                    t2.system(lambda s, n=name: n),
                    base,
                    t2.system(lambda s, n=base: n),
                    PAPER_EFFECTS["incremental"],
                )
            )
    for name in t2.specs:
        twin = _person_twin(t2.specs, name)
        if twin:
            out.append(
                t2.compare(
                    "(future work) the person features help Track 2 too",
                    name,
                    t2.system(lambda s, n=name: n),
                    twin,
                    t2.system(lambda s, n=twin: n),
                )
            )
    out.append(
        t2.compare(
            "the fine-tuned systems beat the floors without fine-tuning",
            "selected model (by validation)",
            t2.system(lambda s: t2.records[s].selected),
            "best floor (by validation)",
            t2.best_floor(),
        )
    )
    return out


def all_claims(runs: dict[int, Path]) -> list[Comparison]:
    return [*track1(runs), *track2(runs)]
