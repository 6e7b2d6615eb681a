"""``python -m emulator`` is ``outage-emulator``."""

from emulator.cli import main

raise SystemExit(main())
