"""Track-1 essay embeddings: every split's essays through the fine-tuned encoders, pooled, saved and read back.

Under ``<run folder>/artifacts/track1/``: ``encoders.json`` (pooling, max length, batch size) and
``embeddings/<split>.npz`` (message_id, the empathy and distress embeddings, the heads' predictions;
``joint_<split>.npz`` for the joint encoder).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from wassa_lib.data.wassa import SCORES
from wassa_lib.hf.pooling import POOLINGS, check_pooling, pool
from wassa_lib.hf.training import autocast, sorted_batches
from wassa_lib.settings.layout import require_file
from wassa_lib.track1.features import embedding_columns
from wassa_lib.track1.finetune import JOINT, FineTuned

EMBEDDING_SPLITS = ("fit", "validation", "dev", "test")
ENCODERS_FILE = "encoders.json"


def embeddings_path(track_dir: Path, split: str) -> Path:
    return Path(track_dir) / "embeddings" / f"{split}.npz"


def encode(
    tuned: FineTuned, texts: Sequence[str], pooling: str, max_length: int, batch_size: int = 64, precision: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Essay embeddings and head predictions (in score units) of a fine-tuned encoder, in input order.

    Essays are sorted by length and padded per batch to the longest one; inference
    runs under ``torch.inference_mode`` (mixed precision on a GPU).
    """
    pooled, heads = encode_pooled(tuned, texts, (pooling,), max_length, batch_size, precision)
    return pooled[pooling], heads


def encode_pooled(
    tuned: FineTuned,
    texts: Sequence[str],
    poolings: Sequence[str],
    max_length: int,
    batch_size: int = 64,
    precision: str = "auto",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`encode` with several poolings from one pass: ``({pooling: embeddings}, head predictions)``; the
    predictions are one column per score the head predicts (a vector where it predicts one)."""
    for pooling in poolings:
        check_pooling(pooling)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = tuned.model.to(device).eval()
    captured: dict = {}
    hook = model.base_model.register_forward_hook(lambda _m, _i, out: captured.__setitem__("out", out))
    embeddings = {p: np.empty((len(texts), model.config.hidden_size), dtype=np.float32) for p in poolings}
    heads = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    try:
        with torch.inference_mode(), autocast(device.type, precision):
            for rows, batch in sorted_batches(tuned.tokenizer, texts, max_length, batch_size, device):
                logits = model(**batch).logits.float()
                for pooling in poolings:
                    out = captured["out"]
                    embeddings[pooling][rows] = (
                        pool(
                            out.last_hidden_state, batch["attention_mask"], pooling, getattr(out, "pooler_output", None)
                        )
                        .float()
                        .cpu()
                        .numpy()
                    )
                heads[rows] = logits.cpu().numpy()
    finally:
        hook.remove()
    heads = heads * np.asarray(tuned.label_std) + np.asarray(tuned.label_mean)
    return embeddings, heads[:, 0] if heads.shape[1] == 1 else heads


def carried_by_pooling(
    models: dict[str, FineTuned],
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    max_length: int,
    regressor_params: dict[str, dict],
    scale_embeddings: bool = False,
    seed: int = 42,
    batch_size: int = 64,
    precision: str = "auto",
) -> dict[str, float]:
    """Per pooling, the validation average Pearson of the system notebook 03 would carry with it: the best of
    the profile's regressors over ``[empathy ; distress ; person features]``, fitted on ``fit`` (the tuning
    criterion of the Track-1 rate and pooling; dev plays no part)."""
    from wassa_lib.track1.features import feature_frame
    from wassa_lib.track1.table2 import best_on_validation

    texts = [*fit["essay"], *valid["essay"]]
    poolings = [p for p in POOLINGS if p != "pooler" or getattr(models[SCORES[0]].model.base_model, "pooler", None)]
    encoded = {
        score: encode_pooled(models[score], texts, poolings, max_length, batch_size, precision)[0] for score in SCORES
    }
    scores = {}
    for pooling in poolings:
        frames = {
            split: feature_frame(frame, encoded["empathy"][pooling][rows], encoded["distress"][pooling][rows])
            for split, frame, rows in (("fit", fit, slice(0, len(fit))), ("validation", valid, slice(len(fit), None)))
        }
        scores[pooling] = best_on_validation(frames, regressor_params, scale_embeddings, seed)[1]
    return scores


@dataclass
class SplitEmbeddings:
    """Both encoders' embeddings of one split's essays, row-aligned with ``message_id``."""

    message_id: np.ndarray
    empathy: np.ndarray
    distress: np.ndarray
    empathy_head: np.ndarray
    distress_head: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        """``emb["empathy"]`` (an embedding matrix), ``emb["empathy_head"]`` (head predictions), ..."""
        if name not in self.__dataclass_fields__:
            raise KeyError(f"{name!r}; expected one of {', '.join(self.__dataclass_fields__)}")
        return getattr(self, name)

    def heads(self) -> pd.DataFrame:
        """The fine-tuned encoders' own predictions, columns empathy and distress."""
        return pd.DataFrame({"empathy": self.empathy_head, "distress": self.distress_head})


def save_embeddings(emb: SplitEmbeddings, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in asdict(emb).items()}
    np.savez(path, **{**arrays, "message_id": arrays["message_id"].astype(str)})
    return path


def load_embeddings(track_dir: Path, split: str, message_ids: Sequence[str] | None = None) -> SplitEmbeddings:
    """Embeddings of ``split`` written by notebook 02; checks the rows against ``message_ids`` when given."""
    if split not in EMBEDDING_SPLITS:
        raise ValueError(f"split must be one of {', '.join(EMBEDDING_SPLITS)}, got {split!r}")
    path = require_file(embeddings_path(track_dir, split), "notebook 02")
    with np.load(path, allow_pickle=False) as data:
        emb = SplitEmbeddings(**{k: data[k] for k in SplitEmbeddings.__dataclass_fields__})
    if message_ids is not None and not np.array_equal(emb.message_id, np.asarray(message_ids, dtype=str)):
        raise ValueError(
            f"{path}: its essays differ from the {split} split here; rerun notebook 02 with the same "
            "seed, valid_fraction and max_train_samples"
        )
    return emb


def _all_essays(frames: dict[str, pd.DataFrame]) -> tuple[list[str], np.ndarray]:
    """Every split's essays in one list (one encoder pass), and where each split starts and ends in it."""
    texts = pd.concat([frame["essay"] for frame in frames.values()], ignore_index=True).tolist()
    return texts, np.cumsum([0] + [len(frame) for frame in frames.values()])


def embed_splits(
    models: dict[str, FineTuned],
    frames: dict[str, pd.DataFrame],
    pooling: str,
    max_length: int,
    batch_size: int = 64,
    precision: str = "auto",
) -> dict[str, SplitEmbeddings]:
    """Every split's essays through both encoders (one length-sorted pass over all splits per encoder)."""
    texts, bounds = _all_essays(frames)
    encoded = {score: encode(models[score], texts, pooling, max_length, batch_size, precision) for score in SCORES}
    out = {}
    for (split, frame), lo, hi in zip(frames.items(), bounds[:-1], bounds[1:]):
        out[split] = SplitEmbeddings(
            message_id=frame["message_id"].to_numpy(dtype=str),
            **{score: encoded[score][0][lo:hi] for score in SCORES},
            **{f"{score}_head": encoded[score][1][lo:hi] for score in SCORES},
        )
    return out


def joint_embeddings_path(track_dir: Path, split: str) -> Path:
    return Path(track_dir) / "embeddings" / f"{JOINT}_{split}.npz"


def embed_joint(
    tuned: FineTuned,
    frames: dict[str, pd.DataFrame],
    pooling: str,
    max_length: int,
    batch_size: int = 64,
    precision: str = "auto",
) -> dict[str, pd.DataFrame]:
    """Every split's essays through the :data:`JOINT` encoder: per split a frame of ``message_id``, the
    head's ``empathy`` and ``distress`` and the embedding (``mt_0000 ...``), written by :func:`save_joint`."""
    texts, bounds = _all_essays(frames)
    embedded, heads = encode(tuned, texts, pooling, max_length, batch_size, precision)
    out = {}
    for (split, frame), lo, hi in zip(frames.items(), bounds[:-1], bounds[1:]):
        out[split] = pd.concat(
            [
                pd.DataFrame(
                    {
                        "message_id": frame["message_id"].to_numpy(dtype=str),
                        **{score: heads[lo:hi, i] for i, score in enumerate(SCORES)},
                    }
                ),
                pd.DataFrame(embedded[lo:hi], columns=embedding_columns(JOINT, embedded.shape[1])),
            ],
            axis=1,
        )
    return out


def save_joint(embedded: dict[str, pd.DataFrame], track_dir: Path) -> None:
    """The joint encoder's heads and embeddings of every split, ``embeddings/joint_<split>.npz``."""
    for split, frame in embedded.items():
        path = joint_embeddings_path(track_dir, split)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            columns=np.asarray(frame.columns, dtype=str),
            message_id=frame["message_id"].to_numpy(dtype=str),
            values=frame.drop(columns="message_id").to_numpy(dtype=np.float32),
        )


def load_joint(track_dir: Path, split: str, message_ids: Sequence[str]) -> pd.DataFrame:
    """What :func:`save_joint` wrote for ``split``, checked against the split's ``message_ids``."""
    path = require_file(joint_embeddings_path(track_dir, split), "notebook 02 (with track1_multitask)")
    with np.load(path, allow_pickle=False) as data:
        columns = [str(c) for c in data["columns"]]
        frame = pd.DataFrame(data["values"], columns=columns[1:]).assign(message_id=data["message_id"])
    if not np.array_equal(frame["message_id"].to_numpy(dtype=str), np.asarray(message_ids, dtype=str)):
        raise ValueError(f"{path}: its essays differ from the {split} split here; rerun notebook 02")
    return frame


def write_encoders_info(track_dir: Path, pooling: str, max_length: int, batch_size: int, model_spec: str) -> Path:
    """``encoders.json``: how the embeddings were made.

    :func:`wassa_lib.track1.predict.predict_scores` reads it to make them the same way."""
    check_pooling(pooling)
    path = Path(track_dir) / ENCODERS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pooling": pooling, "max_length": max_length, "batch_size": batch_size, "model": model_spec}
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


def embed_and_save(
    models: dict[str, FineTuned],
    frames: dict[str, pd.DataFrame],
    track_dir: Path,
    pooling: str,
    max_length: int,
    batch_size: int = 64,
    precision: str = "auto",
    model_spec: str = "",
) -> dict[str, SplitEmbeddings]:
    """:func:`embed_splits`, each split written to ``embeddings/<split>.npz`` and how they were made to
    ``encoders.json`` (notebook 02)."""
    embedded = embed_splits(models, frames, pooling, max_length, batch_size, precision)
    for split, emb in embedded.items():
        save_embeddings(emb, embeddings_path(track_dir, split))
    write_encoders_info(track_dir, pooling, max_length, batch_size, model_spec)
    return embedded


def load_feature_frames(track_dir: Path, essays: dict[str, pd.DataFrame], multitask: bool):
    """Notebook 03's inputs: ``(embedded, joint, frames)``, notebook 02's embeddings of each split of ``essays``,
    the joint encoder's (None without ``multitask``) and the feature frames the regressors read."""
    from wassa_lib.track1.features import feature_frame

    embedded = {split: load_embeddings(track_dir, split, frame["message_id"]) for split, frame in essays.items()}
    joint = (
        {split: load_joint(track_dir, split, frame["message_id"]) for split, frame in essays.items()}
        if multitask
        else None
    )
    frames = {
        split: feature_frame(
            frame,
            embedded[split].empathy,
            embedded[split].distress,
            None if joint is None else joint[split].filter(regex=r"^mt_").to_numpy(),
        )
        for split, frame in essays.items()
    }
    return embedded, joint, frames
