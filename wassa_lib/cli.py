"""``python -m wassa_lib``: run the notebooks of a profile (more subcommands join as the kit grows)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wassa_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="execute the numbered notebooks of a profile into outputs/<profile>/")
    p_run.add_argument("--profile", default="cpu", help=f"params profile ({', '.join(run.available_profiles())})")
    p_run.add_argument("--only", nargs="+", metavar="NN", help="run only these notebooks, e.g. --only 01 03")
    p_run.add_argument("--resume", action="store_true",
                       help="continue an interrupted run: skip finished notebooks, resume training checkpoints")
    p_run.add_argument("--data-dir", help="WASSA data directory (default: $WASSA_DATA_DIR, else data/wassa2021)")
    p_run.add_argument("--output-dir", help="run folder (default: outputs/<profile>)")
    p_run.add_argument("--quiet", action="store_true", help="do not echo the notebooks' cell output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run.main_run(args.profile, args.only, args.resume, args.data_dir, args.output_dir, args.quiet)
    return 2


if __name__ == "__main__":
    sys.exit(main())
