"""``python -m wassa_lib``: the command line (see :mod:`wassa_lib.cli`)."""
import sys

from .cli import main

sys.exit(main())
