"""Entry point: `python -m sandbox up|down|status|reset|knob ...` (and the internal `serve`)."""
import sys

from sandbox.cli import main

sys.exit(main())
