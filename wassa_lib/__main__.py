"""``python -m wassa_lib``: the command line (see :mod:`wassa_lib.cli`)."""

import sys

from wassa_lib.cli import main

sys.exit(main())
