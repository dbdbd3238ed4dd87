"""Figures, one function each: take data, return a matplotlib Figure, save nothing but what they are asked to."""
from __future__ import annotations

from pathlib import Path

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
