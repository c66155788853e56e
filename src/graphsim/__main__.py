"""``python -m graphsim``: serve the simulator until SIGINT/SIGTERM."""

import sys

from .cli import main

sys.exit(main())
