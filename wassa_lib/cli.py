"""``python -m wassa_lib``: run the notebooks of a profile, or one fine-tuning of it; score new essays."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wassa_lib.runner import run


def _add_bench_parsers(sub) -> None:
    """``bench`` (time a profile) and ``bench-numbers`` (what moved between two benchmarked commits)."""
    p_bench = sub.add_parser("bench", help="run a profile and write outputs/<profile>/benchmark.json")
    p_bench.add_argument("--profile", default="cpu")
    p_bench.add_argument("--no-run", action="store_true", help="reuse the profile's finished run")
    p_bench.add_argument(
        "--params", action="append", default=[], metavar="FILE", help="a YAML file laid over the profile (repeatable)"
    )
    p_bench.add_argument("--output-dir", help="run folder (default: outputs/<profile>)")
    p_bench.add_argument("--data-dir", help="WASSA data directory (default: $WASSA_DATA_DIR, else data/wassa2021)")
    p_numbers = sub.add_parser(
        "bench-numbers",
        help="every Table-2/4 number of two benchmarked runs (one seed each, two commits) side by side",
    )
    p_numbers.add_argument("run", help="the benchmarked run folder of the newer commit")
    p_numbers.add_argument("baseline", help="the benchmarked run folder of the older commit")
    p_numbers.add_argument("--output", default="outputs/cpu/benchmark_numbers.csv", help="the CSV to write")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wassa_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="execute the numbered notebooks of a profile into outputs/<profile>/")
    p_run.add_argument("--profile", default="cpu", help=f"params profile ({', '.join(run.available_profiles())})")
    p_run.add_argument("--only", nargs="+", metavar="NN", help="run only these notebooks, e.g. --only 01 03")
    p_run.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML file laid over the profile (repeatable), e.g. params/layers/random-init.yaml",
    )
    p_run.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run: skip finished notebooks, resume training checkpoints",
    )
    p_run.add_argument(
        "--rerun",
        action="store_true",
        help="run the selected notebooks again with the current code, reusing every finished model "
        "whose settings match (implies --resume)",
    )
    p_run.add_argument("--data-dir", help="WASSA data directory (default: $WASSA_DATA_DIR, else data/wassa2021)")
    p_run.add_argument("--output-dir", help="run folder (default: outputs/<profile>)")
    p_run.add_argument("--quiet", action="store_true", help="do not echo the notebooks' cell output")
    seed = p_run.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int, help="another seed; the run goes to outputs/<profile>-seed<N>")
    seed.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        metavar="N",
        help="the whole profile once per seed, then Tables 2, 4, 5 over seeds and claims.csv",
    )
    seed.add_argument(
        "--tune",
        action="store_true",
        help="notebooks 01, 02, 04 (with --only 01 02: Track 1 alone) once per point of the "
        "tuning_learning_rates grid, into outputs/<profile>-tune<i>; notebook 05 of the "
        "profile's run writes tuning.csv",
    )
    p_pred = sub.add_parser("predict", help="empathy, distress and emotion for the essays of a CSV/TSV file")
    p_pred.add_argument("input", help="CSV or TSV file with an 'essay' column (person-feature columns optional)")
    p_pred.add_argument("--run", required=True, help="a finished run folder, e.g. outputs/cpu")
    p_pred.add_argument("--output", help="where to write (default: <input>.predictions.csv beside the input)")
    p_pred.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    _add_bench_parsers(sub)
    p_train = sub.add_parser(
        "train",
        help="one fine-tuning of a profile (track1:<score>, track2:<model>, "
        "carer:<model>); runs under torchrun or accelerate launch",
    )
    p_train.add_argument("--profile", default="cpu", help=f"params profile ({', '.join(run.available_profiles())})")
    p_train.add_argument(
        "--job",
        required=True,
        help="track1:empathy, track1:distress, track2:<model name> or carer:<model name> (the CARER stage alone)",
    )
    p_train.add_argument(
        "--params", action="append", default=[], metavar="FILE", help="a YAML file laid over the profile (repeatable)"
    )
    p_train.add_argument("--data-dir", help="WASSA data directory (default: $WASSA_DATA_DIR, else data/wassa2021)")
    p_train.add_argument("--output-dir", help="run folder (default: outputs/<profile>)")
    p_train.add_argument("--seed", type=int, help="seed (default: the profile's)")
    p_train.add_argument("--resume", action="store_true", help="reuse a finished model with the same settings")
    p_report = sub.add_parser("report", help="render docs/results.md and the README's results from outputs/cpu")
    p_report.add_argument("--check", action="store_true", help="only say which rendered file differs (exit 1)")
    p_record = sub.add_parser("record", help="remake outputs/cpu (seeds 42 1 2), then render the docs")
    p_record.add_argument("--resume", action="store_true", help="go on after an interruption")
    p_record.add_argument("--tune", action="store_true", help="the tuning grid first (3.5 h more on 2 cores)")
    sub.add_parser(
        "colab-cell",
        help="write the Colab setup cell (wassa_lib/runner/colab.py: GIT_URL, GIT_REF) into "
        "every notebook, and print the Open-in-Colab links",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run.main_run(
            args.profile,
            only=args.only,
            resume=args.resume,
            rerun=args.rerun,
            data_dir=args.data_dir,
            output_dir=args.output_dir,
            quiet=args.quiet,
            seed=args.seed,
            layers=args.params,
            seeds=args.seeds,
            tune=args.tune,
        )
    if args.command == "predict":
        from wassa_lib.runner.predict import main_predict

        return main_predict(args.run, args.input, args.output, args.overwrite)
    if args.command == "bench":
        from wassa_lib.runner.bench import benchmark
        from wassa_lib.runner.run import RunError

        try:
            benchmark(
                args.profile,
                run=not args.no_run,
                data_dir=args.data_dir,
                output_dir=args.output_dir,
                layers=args.params,
            )
        except RunError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "bench-numbers":
        from wassa_lib.runner.bench_numbers import write_number_changes
        from wassa_lib.runner.run import RunError

        try:
            print(f"wrote {write_number_changes(args.run, args.baseline, args.output)}")
        except RunError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "train":
        from wassa_lib.runner.launch import main_train

        return main_train(args.profile, args.job, args.params, args.data_dir, args.output_dir, args.seed, args.resume)
    if args.command == "report":
        from wassa_lib.hf import progress
        from wassa_lib.reporting import report

        progress.show()
        return report.main(check=args.check)
    if args.command == "record":
        from dataclasses import replace

        from wassa_lib.reporting import report
        from wassa_lib.runner.record import COMMITTED, remake

        return remake(replace(COMMITTED, tune=args.tune), resume=args.resume) or report.main()
    if args.command == "colab-cell":
        from wassa_lib.runner import colab

        for path in colab.write_setup_cells():
            print(f"updated {path}")
        for link in colab.open_links():
            print(link)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
