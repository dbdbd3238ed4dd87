"""Figures, one function each: take data, return a matplotlib Figure, save nothing but what they are asked to."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .data import EMOTIONS, Splits  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")


def save_figure(fig: plt.Figure, figures_dir: Path, name: str) -> Path:
    """Save ``fig`` as ``<name>.png`` (150 dpi) and return the path."""
    path = Path(figures_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


def label_distribution(splits: Splits) -> plt.Figure:
    """Share of each emotion per split (test from the released emotion gold, where present)."""
    frames = [pd.DataFrame({"emotion": splits[name]["emotion"].dropna(), "split": name})
              for name in ("train", "dev", "test")]
    counts = pd.concat(frames).value_counts(["split", "emotion"], normalize=False).rename("essays").reset_index()
    counts["share"] = counts["essays"] / counts.groupby("split")["essays"].transform("sum")
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.barplot(data=counts, x="emotion", y="share", hue="split", order=list(EMOTIONS), ax=ax)
    ax.set(title="Emotion labels per split", xlabel="", ylabel="share of essays")
    return fig


def score_distributions(splits: Splits) -> plt.Figure:
    """Empathy and distress on train and dev: histograms and their joint scatter."""
    df = pd.concat([splits[name].assign(split=name) for name in ("train", "dev")])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, score in zip(axes, ("empathy", "distress")):
        sns.histplot(data=df, x=score, hue="split", stat="density", common_norm=False, bins=25, ax=ax)
        ax.set(title=f"{score} (1-7)")
    sns.scatterplot(data=df, x="empathy", y="distress", hue="split", alpha=0.4, s=12, ax=axes[2])
    axes[2].set(title="empathy vs distress")
    fig.tight_layout()
    return fig


def confusion_matrix(gold: Sequence[str], pred: Sequence[str], title: str,
                     labels: Sequence[str] = EMOTIONS) -> plt.Figure:
    """Gold (rows) against predicted (columns) labels: cells coloured by the share of the gold row,
    annotated with counts."""
    counts = pd.crosstab(pd.Categorical(gold, categories=list(labels)), pd.Categorical(pred, categories=list(labels)),
                         dropna=False)
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    fig, ax = plt.subplots(figsize=(7, 6))
    sns.heatmap(shares, annot=counts, fmt="d", cmap="Blues", vmin=0, vmax=1, cbar_kws={"label": "share of gold row"},
                ax=ax)
    ax.set(title=title, xlabel="predicted", ylabel="gold")
    return fig


def predicted_vs_gold(gold: pd.DataFrame, predicted: pd.DataFrame, title: str = "",
                      scores: dict[str, float] | None = None) -> plt.Figure:
    """Scatter of predicted against gold empathy and distress (columns of both frames), with the diagonal;
    ``scores`` (e.g. Pearson per score) are shown in the panel titles."""
    values = predicted[["empathy", "distress"]].to_numpy()
    lo, hi = min(1.0, float(values.min())) - 0.2, max(7.0, float(values.max())) + 0.2
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
    for ax, score in zip(axes, ("empathy", "distress")):
        sns.scatterplot(x=gold[score].to_numpy(), y=predicted[score].to_numpy(), alpha=0.5, s=16, ax=ax)
        ax.plot([1, 7], [1, 7], color="grey", linestyle="--", linewidth=1)
        label = score if scores is None else f"{score} (r = {scores[score]:.3f})"
        ax.set(title=label, xlabel="gold", ylabel="predicted", xlim=(lo, hi), ylim=(lo, hi))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def track1_comparison(table: pd.DataFrame) -> plt.Figure:
    """Dev average Pearson per system (one bar each), the paper's rows in their own colour."""
    df = table.assign(label=table["system"] + "  [" + table["source"] + "]")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(df) + 1.2))
    sns.barplot(data=df, y="label", x="average", hue="source", dodge=False, ax=ax)
    ax.set(title="Track 1 on dev: average Pearson (empathy, distress)", xlabel="average Pearson r", ylabel="")
    ax.legend(title="", loc="lower right")
    return fig


def tuning_curves(tuning: pd.DataFrame) -> plt.Figure:
    """Validation score against learning rate, one line per system of ``tuning.csv`` (kept values ringed);
    Track 1 (Pearson) and Track 2 (macro-F1) side by side."""
    rates = tuning[tuning["setting"] == "learning_rate"].astype({"value": float})
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, (track, metric) in zip(axes, ((1, "validation Pearson (mean of the encoders)"),
                                          (2, "validation macro-F1"))):
        part = rates[rates["track"] == track]
        sns.lineplot(data=part, x="value", y="validation", hue="system", marker="o", ax=ax)
        kept = part[part["kept"]]
        ax.scatter(kept["value"], kept["validation"], s=160, facecolors="none", edgecolors="black", zorder=3)
        ax.set(xscale="log", title=f"Track {track}", xlabel="learning rate", ylabel=metric)
        ax.legend(title="", fontsize="small")
    fig.tight_layout()
    return fig
