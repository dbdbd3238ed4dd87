"""Track-2 results: Table 4, the effect of the CARER stage, the model carried forward, and serving it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from wassa_lib.data.carer import CARER_LABELS, CarerSplits
from wassa_lib.data.wassa import EMOTIONS
from wassa_lib.hf.models import load_model
from wassa_lib.hf.saved import check_record
from wassa_lib.scoring import paper
from wassa_lib.scoring.floors import Floor
from wassa_lib.scoring.scorer import bootstrap_ci, emotion_scores, macro_f1
from wassa_lib.settings.layout import track2_dir
from wassa_lib.track2.classifier import PooledClassifier
from wassa_lib.track2.decoding import parse_generation, predict_classifier, predict_generation
from wassa_lib.track2.row import ModelResult
from wassa_lib.track2.training import MODEL_DIR, RESULT_FILE, stage1_dir

SELECTION_FILE = "model_selection.json"


def _test_f1(predictions, test_gold: Sequence[str] | None) -> float:
    if predictions is None or test_gold is None or pd.Series(test_gold).isna().any():
        return np.nan
    return macro_f1(np.asarray(test_gold), np.asarray(predictions))


def table4(
    results: Sequence[ModelResult], floors: Sequence[Floor] = (), test_gold: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per model: dev scores beside the paper's macro-F1 for the paper model the row stands for,
    then one row per floor without fine-tuning (family ``floor``). ``below_floor`` flags a fine-tuned
    row whose dev macro-F1 is below the best floor's. ``test_macro_f1``: the same model on the test essays
    where it predicted them and ``test_gold`` (the released emotion gold) is given; nothing reads it.

    ``invalid_generations`` is empty (NA) for classifiers and floors: an arg-max over seven
    outputs cannot produce anything but a label.
    """
    rows = []
    for r in results:
        s = r.spec
        rows.append(
            {
                "model": s.name,
                "family": s.family,
                "base": s.model,
                "incremental": s.incremental,
                "person_features": s.person_features,
                "paper_model": s.paper_model,
                "paper_macro_f1": paper.TABLE4.get(s.paper_model, np.nan),
                "valid_macro_f1": r.valid_macro_f1,
                **_scores(r.scores),
                "test_macro_f1": _test_f1(r.test_predictions, test_gold),
                "invalid_generations": r.invalid_generations,
                "train_s": r.seconds,
                **{f"f1_{label}": r.scores["per_class_f1"].get(label, 0.0) for label in EMOTIONS},
            }
        )
    for f in floors:
        rows.append(
            {
                "model": f.name,
                "family": "floor",
                "base": f.setting,
                "incremental": False,
                "person_features": False,
                "paper_model": None,
                "paper_macro_f1": np.nan,
                "valid_macro_f1": f.valid_score,
                **_scores(f.scores),
                "test_macro_f1": _test_f1(f.predictions.get("test"), test_gold),
                "invalid_generations": None,
                "train_s": f.seconds,
                **{f"f1_{label}": f.scores["per_class_f1"].get(label, 0.0) for label in EMOTIONS},
            }
        )
    table = pd.DataFrame(rows)
    table["invalid_generations"] = table["invalid_generations"].astype("Int64")
    fine_tuned = table["family"] != "floor"
    table["below_floor"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    if floors:
        best_floor = max(f.scores["macro_f1"] for f in floors)
        table.loc[fine_tuned, "below_floor"] = table.loc[fine_tuned, "macro_f1"] < best_floor
    return table


def _scores(scores: dict) -> dict:
    return {k: scores[k] for k in ("macro_f1", "accuracy", "macro_precision", "macro_recall")}


def floors_predictions(floors: Sequence[Floor], split: str) -> pd.DataFrame:
    """Each floor's predictions of ``split`` ("dev" or "test"), one column per floor (for the claims)."""
    return pd.DataFrame({f.name: f.predictions[split] for f in floors})


def incremental_effect(
    results: Sequence[ModelResult], gold: Sequence[str], n_resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Each generation base run without and with a CARER stage (the kit's own, or a published checkpoint
    named by ``carer_checkpoint_of``), and the kit's stage against the published one where both ran:
    dev macro-F1 of the two, the gain, and a 95% paired bootstrap interval of the gain over the dev essays.
    Rows that read the person features are left out (they are compared in :mod:`wassa_lib.evaluation.claims`)."""
    plain: dict[str, ModelResult] = {}
    kit: dict[str, list[ModelResult]] = {}
    published: dict[str, list[ModelResult]] = {}
    for r in results:
        if r.spec.family != "generation" or r.spec.person_features:
            continue
        if r.spec.carer_checkpoint_of:
            published.setdefault(r.spec.carer_checkpoint_of, []).append(r)
        elif r.spec.incremental:
            kit.setdefault(r.spec.model, []).append(r)
        else:
            plain.setdefault(r.spec.model, r)
    pairs = []
    for base in dict.fromkeys([*kit, *published]):
        for stage, rows in (
            ("kit's CARER stage", kit.get(base, [])),
            ("published checkpoint", published.get(base, [])),
        ):
            pairs += [(base, stage, plain[base], r) for r in rows if base in plain]
        pairs += [(base, "kit's stage vs published", p, k) for p in published.get(base, []) for k in kit.get(base, [])]
    rows = []
    for base, stage, without, with_ in pairs:
        gain, low, high = bootstrap_ci(
            lambda g, a, b: macro_f1(g, b) - macro_f1(g, a),
            np.asarray(gold),
            np.asarray(without.predictions),
            np.asarray(with_.predictions),
            n_resamples=n_resamples,
            seed=seed,
        )
        rows.append(
            {
                "base": base,
                "comparison": stage,
                "without": without.spec.name,
                "with": with_.spec.name,
                "macro_f1_without": without.scores["macro_f1"],
                "macro_f1_with": with_.scores["macro_f1"],
                "gain": round(gain, 4),
                "gain_ci_low": round(low, 4),
                "gain_ci_high": round(high, 4),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "base",
            "comparison",
            "without",
            "with",
            "macro_f1_without",
            "macro_f1_with",
            "gain",
            "gain_ci_low",
            "gain_ci_high",
        ],
    )


def stage1_on_carer_test(
    results: Sequence[ModelResult], root: Path, carer: CarerSplits | None, max_length: int = 128, batch_size: int = 64
) -> pd.DataFrame | None:
    """Every CARER-stage model (the kit's own stage 1 of an incremental row, and a published checkpoint named
    by ``carer_checkpoint_of``) scored on the CARER test split by label scoring over its six labels:
    accuracy and macro-F1 (the published checkpoint's card reports accuracy 0.93, macro-F1 0.90). None
    without ``carer`` (no row needs it)."""
    if carer is None:
        return None
    rows, scored = [], set()
    for r in results:
        if r.spec.incremental and r.spec.model not in scored:  # one stage per base, shared by its rows
            scored.add(r.spec.model)
            source, where = "kit's CARER stage", str(stage1_dir(root, r.spec.model) / MODEL_DIR)
        elif r.spec.carer_checkpoint_of:
            source, where = "published checkpoint", r.spec.model
        else:
            continue
        model, tokenizer = load_model(where, "seq2seq")
        model.to("cuda" if torch.cuda.is_available() else "cpu")
        predicted = predict_generation(
            model, tokenizer, list(carer.test["essay"]), CARER_LABELS, max_length, batch_size
        )
        scores = emotion_scores(carer.test["emotion"], predicted)
        rows.append(
            {
                "model": r.spec.name,
                "stage1": source,
                "stage1_model": r.spec.model if r.spec.carer_checkpoint_of else f"{r.spec.model} + CARER",
                "carer_test_lines": len(carer.test),
                "accuracy": scores["accuracy"],
                "macro_f1": scores["macro_f1"],
            }
        )
    return pd.DataFrame(rows, columns=["model", "stage1", "stage1_model", "carer_test_lines", "accuracy", "macro_f1"])


def invalid_generations(results: Sequence[ModelResult], top: int = 3) -> pd.DataFrame:
    """Per generation row, how many dev essays got a free generation that is no label, and the most frequent
    such outputs (the authors' code counted them as neutral; the kit's constrained decoding never makes them)."""
    rows = []
    for result in results:
        if result.generated is not None:
            invalid = pd.Series([g for g in result.generated if parse_generation(g) is None], dtype=str)
            rows.append(
                {
                    "model": result.spec.name,
                    "invalid": len(invalid),
                    "of": len(result.generated),
                    "most frequent": "; ".join(
                        f"{text!r} x{n}" for text, n in invalid.value_counts().head(top).items()
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["model", "invalid", "of", "most frequent"])


def select_best(results: Sequence[ModelResult], root: Path) -> ModelResult:
    """The model with the best **validation** macro-F1, written to ``root/model_selection.json``; dev is
    reported, never used for the choice (the paper chose on dev, which it used as its test set). Rows that
    read the person features (future work) are reported beside the others but not carried forward: the
    served model reads essays alone."""
    candidates = [r for r in results if not r.spec.person_features]
    if not candidates:
        raise ValueError("every Track-2 row reads the person features; at least one must read essays alone")
    best = max(candidates, key=lambda r: r.valid_macro_f1)
    selection = {
        "model": best.spec.name,
        "family": best.spec.family,
        "base": best.spec.model,
        "incremental": best.spec.incremental,
        "path": f"{best.spec.name}/{MODEL_DIR}",
        "labels": list(EMOTIONS),
        "max_length": best.spec.training.max_length,
        "batch_size": best.spec.training.eval_batch_size,
        "valid_macro_f1": best.valid_macro_f1,
        "dev_macro_f1": best.scores["macro_f1"],
        "selected_by": "validation macro-F1",
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / SELECTION_FILE).write_text(json.dumps(selection, indent=2) + "\n", encoding="utf-8")
    return best


def _track2_root(run_dir: Path) -> Path:
    """The folder holding ``model_selection.json``: ``run_dir`` itself or ``run_dir/artifacts/track2``."""
    for folder in (run_dir, track2_dir(run_dir)):
        if (folder / SELECTION_FILE).is_file():
            return folder
    raise FileNotFoundError(
        f"{run_dir}: no {SELECTION_FILE} here or in {track2_dir(run_dir).relative_to(run_dir)}; "
        "run notebook 04 for this profile first"
    )


def predict_emotions(run_dir: Path, essays: Sequence[str]) -> list[str]:
    """Emotion labels for ``essays`` from the model that notebook 04 selected in ``run_dir``.

    ``run_dir`` is a run folder (``outputs/<profile>``) or its ``artifacts/track2``.
    Batched, longest essays first, under ``torch.inference_mode()``; the labels come
    back in the order of ``essays``. Generation models predict by label scoring, so
    every output is one of the seven labels.
    """
    selection_file = _track2_root(Path(run_dir)).resolve() / SELECTION_FILE
    selection, model, tokenizer = _selected_model(selection_file, selection_file.stat().st_mtime_ns)
    if selection["family"] == "classification":
        return predict_classifier(model, tokenizer, essays, selection["max_length"], selection["batch_size"])
    return predict_generation(
        model, tokenizer, essays, tuple(selection["labels"]), selection["max_length"], selection["batch_size"]
    )


@lru_cache(maxsize=2)
def _selected_model(selection_file: Path, mtime_ns: int) -> tuple[dict, PreTrainedModel, PreTrainedTokenizerBase]:
    """The selection and its model on the best device, loaded once per selection file version."""
    selection = json.loads(selection_file.read_text(encoding="utf-8"))
    path = str(selection_file.parent / selection["path"])
    check_record(Path(path).parent / RESULT_FILE)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if selection["family"] == "classification":
        model, tokenizer = PooledClassifier.load(path), AutoTokenizer.from_pretrained(path)
    else:
        model, tokenizer = load_model(path, "seq2seq")
    return selection, model.to(device), tokenizer
