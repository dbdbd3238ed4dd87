"""Track 1, Table 2: the regressors over the shared representation, the choice of one, its ablations and floor.

Every pipeline is fitted on the fit split only. The regressor carried to the test
set is the one with the best **validation** average Pearson; dev is scored and
reported, never used for a choice (the paper chose on dev, which it used as its
test set).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wassa_lib.scoring import paper
from wassa_lib.scoring.floors import Floor
from wassa_lib.scoring.scorer import pearson
from wassa_lib.track1.features import PREFIXES, describe, feature_pipeline, tfidf_pipeline
from wassa_lib.track1.regressors import LABELS, TARGETS, Scored, fit_and_score, make_regressor, score
from wassa_lib.track1.table2_record import Table2Record

logger = logging.getLogger(__name__)
ABLATIONS = {
    "text_only": "text only (no person features)",
    "empathy_only": "empathy embedding only",
    "distress_only": "distress embedding only",
}
KIT, PAPER = "this kit", "paper (Table 2)"
FUTURE = "future work"  # the paper's conclusion: one encoder trained on both scores (multi-task)
AS_RUN = "as run"  # the authors' code: each score's regressor reads its own encoder's embedding + person features
OWN = "emp → empathy, dis → distress ; person"
TABLE2_COLUMNS = [
    "source",
    "kind",
    "system",
    "regressor",
    "features",
    "distress",
    "empathy",
    "average",
    "validation_average",
    "below_floor",
]


@dataclass
class Comparison:
    """What notebook 03 computes: every regressor, the chosen one, its ablations, the heads and the floor."""

    regressors: dict[str, Scored]
    best: str
    ablations: dict[str, Scored]
    heads: dict[str, dict[str, float]]
    floor: Scored
    frozen_floor: Floor | None = None
    multitask: Scored | None = None
    multitask_heads: dict[str, dict[str, float]] | None = None
    as_run: Scored | None = None
    authors: dict[str, Scored] | None = None
    erroneous: dict[str, float] | None = None

    def floor_average(self) -> float:
        """The best dev average Pearson of the floors without fine-tuning."""
        return max(
            [self.floor.scores["dev"]["average"]] + ([self.frozen_floor.scores["average"]] if self.frozen_floor else [])
        )

    @property
    def erroneous_system(self) -> tuple[str, str, Scored]:
        """``(regressor, whose settings, system)``: the authors' system whose erroneous submission is measured,
        with their MLP settings where given, else with the chosen regressor."""
        if self.authors and "mlp" in self.authors:
            return "mlp", "the authors'", self.authors["mlp"]
        return self.best, "the kit's", self.as_run

    def save(self, track_dir) -> None:
        """What notebook 05 and ``predict`` read back: the chosen regressor, its text-only variant and the
        authors' system (:func:`wassa_lib.track1.finetune.save_selection`)."""
        from wassa_lib.track1.finetune import save_selection

        chosen, text_only = self.regressors[self.best], self.ablations["text_only"]
        save_selection(
            track_dir,
            self.best,
            chosen.pipeline,
            text_only.pipeline,
            {
                "dev": chosen.scores["dev"],
                "validation": chosen.scores["validation"],
                "text_only_dev": text_only.scores["dev"],
            },
            as_run=self.erroneous_system[2].pipeline if self.as_run is not None else None,
        )

    def erroneous_table(self) -> pd.DataFrame:
        """``erroneous_submission.csv``: the empathy regressor's dev Pearson reading the empathy embedding (right)
        and the distress embedding (as the authors' submission did), beside the paper's test Pearson."""
        from wassa_lib.scoring.paper import TABLE3

        e = self.erroneous
        return pd.DataFrame(
            [
                {
                    "regressor": e["regressor"],
                    "settings": e["settings"],
                    "empathy_dev_correct": e["empathy_correct"],
                    "empathy_dev_erroneous": e["empathy_erroneous"],
                    "paper_test_empathy": TABLE3["empathy"],
                    "paper_test_distress": TABLE3["distress"],
                }
            ]
        )

    def table2(self) -> pd.DataFrame:
        """This kit's regressor rows, the paper's Table 2 rows (labelled as the paper's), then the ablations,
        the encoders' own heads and the floor; dev scores, with the validation average that chose."""
        rows = [
            _row("regressor", LABELS[name], name, describe("full"), scored) for name, scored in self.regressors.items()
        ]
        rows += [
            {
                "source": PAPER,
                "kind": "regressor",
                "system": LABELS[name] + ("*" if name == "mlp" else ""),
                "regressor": name,
                "features": "emp ; dis ; person",
                **scores,
            }
            for name, scores in paper.TABLE2.items()
        ]
        rows += [
            _row("ablation", f"chosen regressor, {ABLATIONS[name]}", self.best, describe(name), scored)
            for name, scored in self.ablations.items()
        ]
        rows.append(
            {
                "source": KIT,
                "kind": "ablation",
                "system": "fine-tuned encoders alone (their regression heads)",
                "regressor": "-",
                "features": "each score's own encoder",
                **self.heads["dev"],
                "validation_average": self.heads["validation"]["average"],
            }
        )
        if self.multitask is not None:
            rows.append(
                _row(
                    FUTURE,
                    "one encoder, two heads (multi-task) + chosen regressor",
                    self.best,
                    describe("multitask"),
                    self.multitask,
                )
            )
            rows.append(
                {
                    "source": KIT,
                    "kind": FUTURE,
                    "system": "one encoder, two heads: its heads alone",
                    "regressor": "-",
                    "features": "the joint encoder",
                    **self.multitask_heads["dev"],
                    "validation_average": self.multitask_heads["validation"]["average"],
                }
            )
        if self.as_run is not None:
            rows.append(
                _row(
                    AS_RUN,
                    "as the authors ran it: each score from its own embedding, chosen regressor",
                    self.best,
                    OWN,
                    self.as_run,
                )
            )
        rows += [
            _row(AS_RUN, f"as the authors ran it: their {LABELS[name]} settings", name, OWN, scored)
            for name, scored in (self.authors or {}).items()
        ]
        rows.append(_row("floor", "floor: TF-IDF + ridge, no fine-tuning", "ridge", "TF-IDF of the essay", self.floor))
        if self.frozen_floor:
            f = self.frozen_floor
            rows.append(
                {
                    "source": KIT,
                    "kind": "floor",
                    "system": f.name,
                    "regressor": f"ridge ({f.setting})",
                    "features": "frozen encoder, mean-pooled",
                    **{k: f.scores[k] for k in ("distress", "empathy", "average")},
                    "validation_average": f.valid_score,
                }
            )
        table = pd.DataFrame(rows, columns=TABLE2_COLUMNS)
        fine_tuned = (table["source"] == KIT) & (table["kind"] != "floor")
        table["below_floor"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
        table.loc[fine_tuned, "below_floor"] = table.loc[fine_tuned, "average"] < self.floor_average()
        return table

    def dev_predictions(self, dev: pd.DataFrame) -> pd.DataFrame:
        """Every system's dev predictions in long form, for the paired comparisons of the claims: one row per
        system and dev essay (``essay``: its position in dev), the system named by value (``system``: ``gold``, a
        regressor, ``floor_tfidf``, ``floor_frozen`` or ``authors_<regressor>``; ``variant``: empty, or how the
        chosen regressor was varied: a key of :data:`ABLATIONS`, ``multitask`` or ``as_run``), and the ``empathy`` and
        ``distress`` columns."""
        systems = [("gold", "", dev), ("floor_tfidf", "", self.floor.predictions["dev"])]
        systems += [(name, "", s.predictions["dev"]) for name, s in self.regressors.items()]
        systems += [(self.best, name, s.predictions["dev"]) for name, s in self.ablations.items()]
        if self.multitask is not None:
            systems.append((self.best, "multitask", self.multitask.predictions["dev"]))
        if self.as_run is not None:
            systems.append((self.best, "as_run", self.as_run.predictions["dev"]))
        systems += [(f"authors_{name}", "", s.predictions["dev"]) for name, s in (self.authors or {}).items()]
        if self.frozen_floor:
            frozen = pd.DataFrame(self.frozen_floor.predictions["dev"], columns=["empathy", "distress"])
            systems.append(("floor_frozen", "", frozen))
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "system": system,
                        "variant": variant,
                        "essay": range(len(frame)),
                        "empathy": frame["empathy"].to_numpy(),
                        "distress": frame["distress"].to_numpy(),
                    }
                )
                for system, variant, frame in systems
            ],
            ignore_index=True,
        )

    def save_metrics(self, run_dir, predict_gap: float) -> Path:
        """Notebook 03's record (:class:`Table2Record`) with the largest difference of ``predict`` from this
        comparison's predictions (:func:`wassa_lib.track1.predict.predict_gap`)."""
        return self.record(predict_gap).save(run_dir)

    def record(self, predict_gap: float | None = None) -> Table2Record:
        """The headline numbers notebook 03 records in ``metrics/03_regressor_comparison.json``."""
        best = self.regressors[self.best].scores
        return Table2Record(
            best_regressor=self.best,
            selected_by="validation average Pearson",
            best_dev=best["dev"],
            best_validation=best["validation"],
            floor_dev=self.floor.scores["dev"],
            heads_dev=self.heads["dev"],
            best_beats_floor=best["dev"]["average"] > self.floor_average(),
            frozen_floor_dev=self.frozen_floor.scores if self.frozen_floor else None,
            floors_validation={
                "floor_tfidf": self.floor.scores["validation"]["average"],
                **({"floor_frozen": self.frozen_floor.valid_score} if self.frozen_floor else {}),
            },
            ablations_dev={name: scored.scores["dev"] for name, scored in self.ablations.items()},
            multitask_dev=self.multitask.scores["dev"] if self.multitask else None,
            multitask_heads_dev=self.multitask_heads["dev"] if self.multitask_heads else None,
            as_run_dev=self.as_run.scores["dev"] if self.as_run else None,
            authors_dev={name: scored.scores["dev"] for name, scored in (self.authors or {}).items()},
            erroneous_submission=self.erroneous,
            regressors={name: scored.scores for name, scored in self.regressors.items()},
            predict_check_max_difference=predict_gap,
        )


def _row(kind: str, system: str, regressor: str, features: str, scored: Scored) -> dict:
    dev = scored.scores["dev"]
    return {
        "source": KIT,
        "kind": kind,
        "system": system,
        "regressor": regressor,
        "features": features,
        **{k: dev[k] for k in ("distress", "empathy", "average")},
        "validation_average": scored.scores["validation"]["average"],
    }


def per_score_params(params: dict, score: str) -> dict:
    """A regressor's settings for ``score``: the shared keys, overridden by the ``empathy`` or ``distress`` entry
    (the authors' code set AdaBoost's rate and the MLP's iterations per score); ``standardise`` is not the
    estimator's but says the whole vector is standardised first (the authors' SVR pipeline)."""
    shared = {k: v for k, v in params.items() if k not in (*TARGETS, "standardise")}
    return {**shared, **params.get(score, {})}


def own_embeddings(fit_one: Callable[[str, str], Scored], frames: dict[str, pd.DataFrame]) -> Scored:
    """Each score predicted from its own encoder's embedding and the person features, as the authors' code
    did: empathy by a pipeline over ``[emp ; person]``, distress by one over ``[dis ; person]``
    (``fit_one(feature_set, score)``)."""
    empathy, distress = fit_one("empathy_only", "empathy"), fit_one("distress_only", "distress")
    predictions = {
        split: pd.DataFrame(
            {
                "empathy": empathy.predictions[split]["empathy"].to_numpy(),
                "distress": distress.predictions[split]["distress"].to_numpy(),
            }
        )
        for split in empathy.predictions
    }
    return Scored(
        {"empathy": empathy.pipeline, "distress": distress.pipeline},
        predictions,
        {split: score(frames[split], pred) for split, pred in predictions.items()},
    )


def swap_embeddings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the distress encoder's embedding in the empathy embedding's columns: what the authors'
    empathy regressor read at test time (their "erroneous submission")."""
    emp = [c for c in frame.columns if c.startswith(f"{PREFIXES['empathy']}_")]
    dis = [c.replace(PREFIXES["empathy"], PREFIXES["distress"], 1) for c in emp]
    return frame.assign(**dict(zip(emp, frame[dis].to_numpy().T)))


def erroneous_submission(as_run: Scored, frame: pd.DataFrame) -> dict[str, float]:
    """Empathy Pearson on ``frame`` (dev) of the empathy regressor reading its own embedding, and reading the
    distress encoder's embedding instead, as the authors' test submission did."""
    pipeline = as_run.pipeline["empathy"]
    wrong = pipeline.predict(swap_embeddings(frame))[:, TARGETS.index("empathy")]
    return {
        "empathy_correct": as_run.scores["dev"]["empathy"],
        "empathy_erroneous": pearson(frame["empathy"].to_numpy(dtype=float), wrong),
    }


def best_on_validation(
    frames: dict[str, pd.DataFrame], regressor_params: dict[str, dict], scale_embeddings: bool = False, seed: int = 42
) -> tuple[str, float]:
    """``(name, validation average Pearson)`` of the regressor of ``regressor_params`` that scores best on
    ``frames["validation"]`` over ``[emp ; dis ; person]``, each fitted on ``frames["fit"]``: what
    :func:`compare` would choose."""
    scores = {
        name: fit_and_score(
            feature_pipeline(make_regressor(name, params, seed), "full", scale_embeddings),
            frames["fit"],
            {"validation": frames["validation"]},
        ).scores["validation"]["average"]
        for name, params in regressor_params.items()
    }
    best = max(scores, key=scores.get)
    return best, scores[best]


def compare(
    frames: dict[str, pd.DataFrame],
    heads: dict[str, pd.DataFrame],
    regressor_params: dict[str, dict],
    floor_params: dict,
    scale_embeddings: bool = False,
    seed: int = 42,
    frozen_floor: Floor | None = None,
    multitask_heads: dict[str, pd.DataFrame] | None = None,
    authors_params: dict[str, dict] | None = None,
) -> Comparison:
    """Fit every regressor of ``regressor_params`` on ``frames["fit"]`` (the fit split) and score it on
    ``frames["validation"]`` and ``frames["dev"]``; choose the best by validation average Pearson; run its
    ablations, score the encoders' own heads (``heads``: their predictions on validation and dev) and the
    TF-IDF + ridge floor; ``frozen_floor`` (see :func:`wassa_lib.scoring.floors.frozen_score_floor`) is one more row.
    ``multitask_heads`` (the joint encoder's own predictions per split, columns empathy and distress; its
    embedding in the frames' ``mt_`` columns) adds the future-work rows: the chosen regressor over
    ``[mt ; person]``, and the
    joint heads alone. The as-run rows put each score's own embedding under the chosen regressor and under
    each of ``authors_params`` (the authors' settings); the authors' MLP also measures their erroneous
    submission on dev (:func:`erroneous_submission`)."""
    evaluate = {"validation": frames["validation"], "dev": frames["dev"]}

    def fit(name: str, feature_set: str = "full", params: dict | None = None, scale: bool | None = None) -> Scored:
        start = time.perf_counter()
        hyper = regressor_params[name] if params is None else params
        pipeline = feature_pipeline(
            make_regressor(name, hyper, seed), feature_set, scale_embeddings if scale is None else scale
        )
        scored = fit_and_score(pipeline, frames["fit"], evaluate)
        logger.info(
            "%-9s %-13s validation avg %.4f | dev avg %.4f | %.1f s",
            LABELS[name],
            feature_set,
            scored.scores["validation"]["average"],
            scored.scores["dev"]["average"],
            time.perf_counter() - start,
        )
        return scored

    results = {name: fit(name) for name in regressor_params}
    best = max(results, key=lambda name: results[name].scores["validation"]["average"])
    ablations = {name: fit(best, name) for name in ABLATIONS}
    floor = fit_and_score(
        tfidf_pipeline(make_regressor("ridge", floor_params["ridge"], seed), **floor_params["tfidf"]),
        frames["fit"],
        evaluate,
    )
    joint = (
        None
        if multitask_heads is None
        else {
            "scored": fit(best, "multitask"),
            "heads": {split: score(frames[split], multitask_heads[split]) for split in ("validation", "dev")},
        }
    )
    as_run = own_embeddings(lambda feature_set, _: fit(best, feature_set), frames)
    authors = {
        name: own_embeddings(
            lambda feature_set, target, n=name, p=params: fit(
                n, feature_set, per_score_params(p, target), bool(p.get("standardise"))
            ),
            frames,
        )
        for name, params in (authors_params or {}).items()
    }
    comparison = Comparison(
        regressors=results,
        best=best,
        ablations=ablations,
        floor=floor,
        frozen_floor=frozen_floor,
        heads={split: score(frames[split], heads[split]) for split in ("validation", "dev")},
        multitask=joint and joint["scored"],
        multitask_heads=joint and joint["heads"],
        as_run=as_run,
        authors=authors,
    )
    regressor, settings, system = comparison.erroneous_system
    comparison.erroneous = {"regressor": regressor, "settings": settings, **erroneous_submission(system, frames["dev"])}
    return comparison
