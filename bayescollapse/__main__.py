"""``python -m bayescollapse``: the ``bayescollapse`` command."""

import sys

from bayescollapse.cli import main

if __name__ == "__main__":
    sys.exit(main())
