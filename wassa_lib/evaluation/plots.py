"""Figures, one function each: take data, return a matplotlib Figure; :func:`show` saves one and displays it.

The library leaves the matplotlib backend to whoever runs it: a notebook's inline backend, a
terminal's default, or ``MPLBACKEND``. :func:`show` displays the saved PNG itself, so a figure
appears in the notebook that makes it under every backend (Agg in a headless papermill run too).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from wassa_lib.data.wassa import EMOTIONS, Splits
from wassa_lib.evaluation.seed_table import mean_of, sd_of, seed_columns
from wassa_lib.hf.training_record import TrainingRecord

logger = logging.getLogger(__name__)

sns.set_theme(style="whitegrid", context="notebook")


def save_figure(fig: plt.Figure, figures_dir: Path, name: str) -> Path:
    """Save ``fig`` as ``<name>.png`` (150 dpi) and return the path."""
    path = Path(figures_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


def show(fig: plt.Figure, figures_dir: Path, name: str) -> None:
    """Save ``fig`` as ``<figures_dir>/<name>.png``, display that PNG where an IPython display exists (a
    notebook, Colab, a papermill run), and close ``fig`` so that an inline backend does not draw it twice."""
    path = save_figure(fig, figures_dir, name)
    plt.close(fig)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Image(filename=str(path)))
    logger.info("figure saved: %s", path)


def validation_curves(curves: dict[str, TrainingRecord], metric: str) -> plt.Figure:
    """The validation ``metric`` after each epoch of every fine-tuned model (``curves``: name → its training
    record); the kept epoch ringed, and the legend says whether patience or the cap of epochs ended the
    training."""
    fig, ax = plt.subplots(figsize=(11, 4))
    for name, record in curves.items():
        curve, best = record.validation_by_epoch, record.best_epoch
        epochs = range(1, len(curve) + 1)
        stop = record.stopped_by or "the fixed epochs"
        (line,) = ax.plot(epochs, curve, marker="o", label=f"{name} (kept {best}, stopped by {stop})")
        ax.scatter([best], [curve[best - 1]], s=160, facecolors="none", edgecolors=line.get_color(), zorder=3)
    ax.set(
        title=f"Validation {metric} after each epoch (ringed: the epoch kept)",
        xlabel="epoch",
        ylabel=f"validation {metric}",
    )
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the curves, never on them
    fig.tight_layout()
    return fig


def validation_curves_over_seeds(curves: dict[int, dict[str, TrainingRecord]]) -> plt.Figure:
    """Every fine-tuning's validation score after each epoch in every seed (``curves``: seed → name → its
    training record): one panel per model, one line per seed, the kept epoch ringed."""
    names = list(dict.fromkeys(name for by_name in curves.values() for name in by_name))
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False)
    colours = dict(zip(curves, sns.color_palette(n_colors=len(curves)), strict=True))
    for ax, name in zip(axes.flat, names, strict=False):
        for seed, by_name in curves.items():
            record = by_name.get(name)
            if record is None or not record.validation_by_epoch:
                continue
            curve, best = record.validation_by_epoch, record.best_epoch
            ax.plot(range(1, len(curve) + 1), curve, marker=".", color=colours[seed], label=f"seed {seed}")
            if best:
                ax.scatter([best], [curve[best - 1]], s=90, facecolors="none", edgecolors=colours[seed], zorder=3)
        track = "Pearson" if name.startswith("track1") else "macro-F1"
        ax.set_title(name.removeprefix("track1_").removeprefix("track2_"), fontsize="small")
        ax.set(xlabel="epoch", ylabel=f"validation {track}")
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle("Validation score after each epoch, every seed (ringed: the epoch kept)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def label_distribution(splits: Splits) -> plt.Figure:
    """Share of each emotion per split (test from the released emotion gold, where present)."""
    frames = [
        pd.DataFrame({"emotion": splits[name]["emotion"].dropna(), "split": name}) for name in ("train", "dev", "test")
    ]
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


def confusion_matrix(
    gold: Sequence[str], pred: Sequence[str], title: str, labels: Sequence[str] = EMOTIONS
) -> plt.Figure:
    """Gold (rows) against predicted (columns) labels: cells coloured by the share of the gold row,
    annotated with counts."""
    counts = pd.crosstab(
        pd.Categorical(gold, categories=list(labels)), pd.Categorical(pred, categories=list(labels)), dropna=False
    )
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    fig, ax = plt.subplots(figsize=(7, 6))
    sns.heatmap(
        shares, annot=counts, fmt="d", cmap="Blues", vmin=0, vmax=1, cbar_kws={"label": "share of gold row"}, ax=ax
    )
    ax.set(title=title, xlabel="predicted", ylabel="gold")
    return fig


def predicted_vs_gold(
    gold: pd.DataFrame, predicted: pd.DataFrame, title: str = "", scores: dict[str, float] | None = None
) -> plt.Figure:
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
    one panel per track that was tuned: Track 1 (the carried system's Pearson) and Track 2 (macro-F1)."""
    rates = tuning[tuning["setting"] == "learning_rate"].astype({"value": float})
    metrics = {1: "validation average Pearson\nof the carried system", 2: "validation macro-F1"}
    tracks = [track for track in metrics if (rates["track"] == track).any()]
    fig, axes = plt.subplots(1, len(tracks), figsize=(5.5 * len(tracks), 3.8), squeeze=False)
    for ax, track in zip(axes[0], tracks):
        part = rates[rates["track"] == track]
        sns.lineplot(data=part, x="value", y="validation", hue="system", marker="o", ax=ax)
        kept = part[part["kept"]]
        ax.scatter(kept["value"], kept["validation"], s=160, facecolors="none", edgecolors="black", zorder=3)
        ax.set(xscale="log", title=f"Track {track}", xlabel="learning rate", ylabel=metrics[track])
        ax.legend(title="", fontsize="small")
    fig.tight_layout()
    return fig


def scores_by_emotion(df: pd.DataFrame) -> plt.Figure:
    """Empathy and distress of the essays of each emotion label (box plots), labels by essay count."""
    order = list(df["emotion"].value_counts().index)
    long = df.melt(id_vars="emotion", value_vars=["empathy", "distress"], var_name="score", value_name="value")
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.boxplot(data=long, x="emotion", y="value", hue="score", order=order, ax=ax)
    ax.set(title="Empathy and distress by the essay's emotion label (train)", xlabel="", ylabel="score (1-7)")
    fig.tight_layout()
    return fig


def person_correlations(table: pd.DataFrame) -> plt.Figure:
    """Pearson of each person feature with empathy and distress.

    The table is :func:`wassa_lib.scoring.tables.person_correlations`'s."""
    long = table.melt(id_vars="feature", var_name="score", value_name="pearson")
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(table) + 1.5))
    sns.barplot(data=long, y="feature", x="pearson", hue="score", ax=ax)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set(title="Person features against the scores (train, Pearson r)", xlabel="Pearson r", ylabel="")
    fig.tight_layout()
    return fig


def claims(verdicts: pd.DataFrame) -> plt.Figure:
    """Each claim's mean difference (dot) and 95% interval (line) against zero, coloured by its verdict."""
    colours = {"supported": "tab:green", "contradicted": "tab:red"}
    import textwrap

    rows = verdicts.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(12, 0.55 * len(rows) + 1.4))
    for i, row in rows.iterrows():
        colour = colours.get(row["verdict"], "tab:grey")
        ax.plot([row["ci95_low"], row["ci95_high"]], [i, i], color=colour, linewidth=3, alpha=0.6)
        ax.scatter([row["mean_difference"]], [i], color=colour, zorder=3)
        if pd.notna(row.get("paper_difference", np.nan)):
            ax.scatter([row["paper_difference"]], [i], marker="D", facecolor="none", edgecolor="black", zorder=4)
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(
        range(len(rows)),
        [textwrap.fill(f"T{t}: {c}", 60) for t, c in zip(rows["track"], rows["claim"])],
        fontsize="x-small",
    )
    ax.set(
        title="The paper's claims: mean difference over seeds and its 95% interval, on held-out essays\n(green "
        "supported, red contradicted, grey not decided; open diamond: the paper's own difference)",
        xlabel="difference (system a - system b)",
    )
    ax.title.set_fontsize("small")
    fig.tight_layout()
    return fig


def seed_spread(
    table: pd.DataFrame, label: str, headline: str, title: str, paper: pd.Series | None = None
) -> plt.Figure:
    """A table over seeds (:func:`wassa_lib.evaluation.seeds.aggregate`): per row the mean ``headline`` (dot), its
    standard deviation (line) and each seed's own value (small dots), on an axis fitted to the values; ``paper``
    (by row, NaN where the paper has no number) adds the paper's number as an open diamond."""
    seeds = list(seed_columns(table, headline).values())
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(table) + 1.6))
    y = np.arange(len(table))
    ax.errorbar(
        table[mean_of(headline)], y, xerr=table[sd_of(headline)].fillna(0), fmt="o", color="tab:blue", capsize=3
    )
    for column in seeds:
        ax.scatter(table[column], y, color="black", s=8, alpha=0.6, zorder=3)
    values = [table[c] for c in [mean_of(headline), *seeds]]
    marked = paper is not None and paper.notna().any()
    if marked:
        ax.scatter(paper.to_numpy(), y, marker="D", facecolor="none", edgecolor="tab:red", s=40, zorder=4)
        values.append(paper)
    every = pd.concat(values).dropna()
    margin = 0.05 * ((every.max() - every.min()) or 1.0)
    ax.set_xlim(every.min() - margin, every.max() + margin)
    ax.set_yticks(list(y), table[label], fontsize="small")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    note = ", red diamond: the paper" if marked else ""
    ax.set(xlabel=headline)
    ax.set_title(
        f"{title}\n(dot: mean over {len(seeds)} seeds, line: sd, small dots: each seed{note})", fontsize="small"
    )
    fig.tight_layout()
    return fig
