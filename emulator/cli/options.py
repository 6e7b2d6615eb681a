"""The options every subcommand shares, written once.

``-q`` and ``--log-format`` mean the same everywhere: ``-q`` keeps only the
essential output (a run's summary, a sweep's table, a key's name) and
warnings; ``--log-format`` picks how structured logs are rendered on stderr.
The world options (scenario, seed, overrides, faults, duration) are the same
for ``run``, ``soak`` and, without the seed, ``sweep``. Every option has help
text, and the help shows each default.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

from emulator.config.loading import ConfigError, one_line
from emulator.kernel.durations import parse_duration

__all__ = [
    "SPEED_RANGE",
    "HelpFormatter",
    "Parser",
    "add_config_options",
    "add_executor_options",
    "add_output_style",
    "add_world_options",
    "check_executor_options",
    "duration",
    "seed",
    "speed",
    "subcommand",
    "workers",
]

# Virtual seconds per wall second: below, a run crawls for ever; above, timers cannot keep up.
SPEED_RANGE = (0.01, 100_000.0)


class Parser(argparse.ArgumentParser):
    """argparse, but bad input is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {one_line(message)}", file=sys.stderr)
        raise SystemExit(2)


class HelpFormatter(argparse.HelpFormatter):
    """Help that states each option's default, unless it has none worth saying."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default" in text
            or default is None
            or default is False
            or default == []
            or default is argparse.SUPPRESS
            or action.option_strings == []
        ):
            return text
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid --seed {text!r}: expected a whole number >= 0")
    return value


def duration(text: str) -> float:
    try:
        value = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: expected e.g. 90s, 10m, 2h, 1h30m") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be > 0")
    return value


def speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not SPEED_RANGE[0] <= value <= SPEED_RANGE[1]:
        raise argparse.ArgumentTypeError(
            f"invalid --speed {text!r}: expected a number from {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g}"
        )
    return value


def workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid --workers {text!r}: expected a whole number >= 1")
    return value


def add_executor_options(parser: argparse.ArgumentParser, executors: tuple[str, ...]) -> None:
    """Where many runs go (``sweep``, ``compare``): worker processes here, or a Dask cluster."""
    parser.add_argument("--workers", type=workers, help="parallel runs (default: every core)")
    parser.add_argument("--executor", choices=executors, default="local", help="where the runs go")
    parser.add_argument("--scheduler", metavar="tcp://HOST:8786", help="Dask scheduler (with --executor dask)")


def check_executor_options(args: argparse.Namespace) -> None:
    """Options that only mean something together, refused before any run."""
    if args.scheduler and args.executor != "dask":
        raise ConfigError(f"invalid --scheduler {args.scheduler!r}: only used with --executor dask")


def add_output_style(parser: argparse.ArgumentParser, *, quiet: str) -> None:
    """``-q`` (what it keeps is the subcommand's ``quiet`` text) and ``--log-format``."""
    parser.add_argument("-q", "--quiet", action="store_true", help=f"print only {quiet}, and warnings")
    parser.add_argument(
        "--log-format", choices=("console", "json"), default="console", help="how logs on stderr are rendered"
    )


def duration_text(text: str) -> str:
    """A checked duration, kept as the user wrote it (a sweep records its spec as text)."""
    duration(text)
    return text


def add_config_options(
    parser: argparse.ArgumentParser, *, scenario_default: str | None = "incident", duration_as_text: bool = False
) -> None:
    """What builds a config: scenario, overrides, faults, duration."""
    parser.add_argument(
        "--scenario",
        default=scenario_default,
        help="incident, remediated, healthy or FILE.toml" + ("" if scenario_default else " (default: incident)"),
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key (repeatable); `outage-emulator keys` lists them",
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        action="append",
        default=[],
        metavar="KIND:AT:DURATION[:TARGET]",
        help="inject a fault (repeatable), e.g. empty_record:10m:2h or stall_enactor:10m:5m",
    )
    parser.add_argument(
        "--duration",
        type=duration_text if duration_as_text else duration,
        metavar="TIME",
        help="virtual run time, e.g. 6h or 1h30m (run.duration_s)",
    )


def add_world_options(parser: argparse.ArgumentParser) -> None:
    """``run`` and ``soak``: a config, a seed, a report, and the output style."""
    add_config_options(parser)
    parser.add_argument("--seed", type=seed, default=0, help="seed of every random draw: the same seed replays")
    parser.add_argument(
        "--report", type=Path, metavar="FILE.json", help="write the full JSON report here ('-': to stdout)"
    )
    add_output_style(parser, quiet="the summary")


def subcommand(commands: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A subparser that shows defaults in its help."""
    parser: argparse.ArgumentParser = commands.add_parser(name, formatter_class=HelpFormatter, **kwargs)
    return parser
