"""``python -m emulator`` is ``outage-emulator``."""

from emulator.cli.main import main

raise SystemExit(main())
