"""``python -m helpers.grading``: see ``helpers.grading.cli``."""

import sys

from helpers.grading.cli import main

sys.exit(main())
