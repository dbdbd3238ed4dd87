"""``docs/results.md``: every table of the recorded run with the paper's numbers beside ours."""

from __future__ import annotations

import pandas as pd

from wassa_lib.evaluation.records import training_records
from wassa_lib.reporting.run_record import Run, markdown


def erroneous_line(run: Run) -> str:
    e = run.over_seeds("erroneous_submission", "empathy_dev_erroneous").iloc[0]
    return (
        f"The authors' erroneous submission, repeated on dev: empathy {e['empathy_dev_correct_mean']:.3f} with its "
        f"own embedding, {e['empathy_dev_erroneous_mean']:.3f} reading the distress embedding (the paper's test "
        f"empathy {e['paper_test_empathy']:.3f}, distress {e['paper_test_distress']:.3f})."
    )


def dev_selection_line(run: Run) -> str:
    rows = run.table("dev_selection")
    return (
        "Choosing on dev as the authors' code did reads higher on dev by: "
        + "; ".join(f"{r.choice}, {r.authors_way}: {r.difference:+.3f}" for r in rows.itertuples())
        + "."
    )


def _track1_section(run: Run) -> list[str]:
    t2 = run.over_seeds("table2", "average")
    cols2 = ["kind", "system", "distress_mean", "empathy_mean", "average_mean", "average_sd", "validation_average_mean"]
    paper2 = run.table("table2").query("source != 'this kit'")[["system", "distress", "empathy", "average"]]
    return [
        "## Table 2: Track 1 on dev (average Pearson of empathy and distress)",
        "",
        markdown(t2[[c for c in cols2 if c in t2.columns]]),
        "",
        "The paper's Table 2 (its submission marked `*`):",
        "",
        markdown(paper2),
        "",
        "![Table 2 over seeds](../outputs/cpu/figures/table2_seeds.png)" if run.has("table2_seeds") else "",
        "",
        "## The authors' erroneous submission, measured on dev",
        "The empathy regressor of the authors' code read the distress encoder's embedding at test time; the "
        "same mistake made on dev (the authors' MLP settings, each score's own embedding):",
        "",
        run.section("erroneous_submission_seeds" if run.has("erroneous_submission_seeds") else "erroneous_submission"),
        "",
    ]


def _track2_section(run: Run) -> list[str]:
    t4 = run.over_seeds("table4", "macro_f1")
    cols4 = [
        "model",
        "paper_model",
        "paper_macro_f1",
        "valid_macro_f1_mean",
        "macro_f1_mean",
        "macro_f1_sd",
        "accuracy_mean",
    ]
    table5 = run.over_seeds("table5", "ours")[["metric", "paper", "best_in_task", "ours_mean", "ours_sd"]]
    if run.has("table5_ensemble"):
        table5 = table5.merge(run.table("table5_ensemble"), on="metric")
    return [
        "## Table 4: Track 2 on dev (macro-F1)",
        "",
        markdown(t4[[c for c in cols4 if c in t4.columns]]),
        "",
        "![Table 4 over seeds](../outputs/cpu/figures/table4_seeds.png)" if run.has("table4_seeds") else "",
        "",
        "## Table 5: Track 2 on test",
        "",
        markdown(table5),
        "",
        "## Which system each seed chose (on validation)",
        "",
        run.section("choice_seeds"),
        "",
    ]


TWO_LEVEL = (
    "A claim compares two systems on held-out essays with gold: dev for Track 1 (its test gold was never "
    "released), dev and test together for Track 2 (`evidence`; `mean_difference_dev` and `_test` side by side). "
    "The row is the mean difference over seeds; its 95% interval is a two-level paired bootstrap (seeds drawn, "
    "then essays shared by the seeds drawn), so it covers the seed-to-seed spread and the finite essay sample "
    "and narrows as seeds are added; `pooled_width` is the width of the former interval, one run's spread. "
    "*supported*: the interval lies above 0; *contradicted*: below; *not decided*: it contains 0. "
    "`size_verdict` holds the interval against the paper's own difference (`paper_difference`, from the "
    "numbers it prints). The two rows on choosing on dev use a t-interval over the seeds."
)
COLUMNS = [
    "track",
    "claim",
    "evidence",
    "mean_difference_dev",
    "mean_difference_test",
    "mean_difference",
    "ci95_low",
    "ci95_high",
    "pooled_width",
    "paper_difference",
    "verdict",
    "size_verdict",
]


def _widths(table: pd.DataFrame) -> str:
    """The two-level interval's width against the pooled one's, over the claims with a bootstrap interval."""
    boot = table[table["pooled_width"].notna()]
    width = boot["ci95_high"] - boot["ci95_low"]
    narrower = int((width < boot["pooled_width"]).sum())
    return (
        f"In this record ({int(table['seeds'].max())} seeds), over the {len(boot)} claims with a bootstrap interval, "
        f"the two-level interval is {width.mean():.4f} wide on average (from {width.min():.4f} to {width.max():.4f}) "
        f"against {boot['pooled_width'].mean():.4f} for the pooled one; it is the narrower in {narrower} of them."
    )


def _claims_section(run: Run) -> list[str]:
    table = run.table("claims")
    verdicts = table[COLUMNS]
    return [
        "## The paper's claims",
        TWO_LEVEL,
        "",
        _widths(table),
        "",
        markdown(verdicts, ".4f"),
        "",
        "![claims](../outputs/cpu/figures/claims.png)",
        "",
        "## What choosing on dev was worth",
        "The authors' code chose its epochs and regressor on the dev set it reported, and predicted Track 2 "
        "with the last epoch's model, counting an invalid generation as `neutral`. Each row puts the dev score "
        "of what that way picks beside what the kit's way (validation) picks:",
        "",
        run.section("dev_selection", ".4f"),
        "",
    ]


def _schedule_sentence(run: Run) -> str:
    """The cap of epochs and the patience the run's fine-tunings were trained with, from their records."""
    records = training_records(run.dir).values()
    caps = sorted({r.epochs for r in records})
    patience = sorted({(r.settings or {}).get("early_stopping_patience") for r in records} - {None})
    said = " or ".join(f"{c:g}" for c in caps)
    return (
        f"Every fine-tuning trains up to {said} epochs and stops once validation has not improved for "
        + " or ".join(map(str, patience))
        + " epochs, keeping its best epoch."
    )


def results_page(run: Run) -> str:
    """``docs/results.md``."""
    head = [
        "# Results of the recorded cpu run",
        "",
        "<!-- rendered by `python -m wassa_lib report` from outputs/cpu; do not edit by hand -->",
        "",
        run.provenance(),
        "Every number is the mean over the seeds (± its standard deviation where shown); the paper's numbers "
        "are the paper's, on BERT, T5 and Pegasus on a GPU, printed beside ours for orientation only.",
        "",
        "## Where each model stopped",
    ]
    if run.has("stopping"):
        head += [
            _schedule_sentence(run) + " `kept/run` is the epoch kept and the epochs run.",
            "",
            run.table("stopping").to_markdown(index=False),
            "",
        ]
    else:
        head += ["This run trained a fixed number of epochs, before the kit stopped on validation.", ""]
    figures = ["validation_curves_seeds"] if run.has_figure("validation_curves_seeds") else []
    figures = figures or [
        f"track{t}_validation_curves" for t in (1, 2) if run.has_figure(f"track{t}_validation_curves")
    ]
    head += [f"![{name.replace('_', ' ')}](../outputs/cpu/figures/{name}.png)" for name in figures] + [""]
    return "\n".join(
        [*head, *_track1_section(run), *_track2_section(run), *_claims_section(run), *_tuning_section(run)]
    )


def _tuning_section(run: Run) -> list[str]:
    if not run.has("tuning"):
        return [
            "## Tuning on the validation split",
            "This record ran no tuning (`make record TUNE=1` runs the grid first, about 3.5 hours more on 2 cores): "
            "its learning rates and Track-1 pooling are those `params/base.yaml` gives, each with the tuning run that "
            "kept it.",
            "",
        ]
    tuned = run.table("tuning")[["system", "setting", "value", "validation", "best_epoch", "kept", "in_profile"]]
    tuned = tuned.fillna({"best_epoch": ""})  # the pooling probe reads the kept encoders: no epoch of its own
    return [
        "## Tuning on the validation split (seed 42)",
        "Each value tried, the validation score of what goes to test with it (Track 1: the best regressor over "
        "`[embeddings ; person features]`, at each rate and, at the kept rate, each pooling; Track 2: the model's own "
        "macro-F1), the epoch it kept, the kept value and whether the profile uses it:",
        "",
        tuned.to_markdown(index=False),
        "",
        "![tuning](../outputs/cpu/figures/tuning.png)",
        "",
    ]
