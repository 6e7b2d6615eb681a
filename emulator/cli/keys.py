"""``outage-emulator keys``: every configuration key, what it is, and whether it is calibrated.

``keys`` prints one block per key: ``KEY = DEFAULT``, its type and unit, its
meaning, and the AWS gap it copies if it is calibrated. ``keys PATTERN``
keeps the keys that contain PATTERN (or match it as a glob: ``'dwfm.*'``);
``--json`` prints the same as a JSON list; ``-q`` prints the names alone.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
from typing import Any

from emulator.cli.options import add_output_style, subcommand
from emulator.config.describe import KeyDoc, describe
from emulator.config.loading import ConfigError, did_you_mean

__all__ = ["add_keys_parser", "command_keys", "format_key"]


def add_keys_parser(commands: Any) -> None:
    keys = subcommand(commands, "keys", help="list the configuration keys: type, unit, default, meaning")
    keys.add_argument("pattern", nargs="?", help="only keys containing this text, or matching this glob")
    keys.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    add_output_style(keys, quiet="the key names")


def _matches(doc: KeyDoc, pattern: str | None) -> bool:
    if not pattern:
        return True
    return pattern in doc.key or fnmatch.fnmatchcase(doc.key, pattern)


def format_key(doc: KeyDoc) -> str:
    kind = doc.type + (f", {doc.unit}" if doc.unit else "")
    lines = [f"{doc.key} = {doc.default!r}  ({kind})"]
    if doc.meaning:
        lines.append(f"    {doc.meaning}")
    if doc.calibrated:
        lines.append(f"    calibrated: {doc.calibrated}")
    return "\n".join(lines)


def command_keys(args: argparse.Namespace) -> int:
    docs = describe()
    chosen = [doc for doc in docs if _matches(doc, args.pattern)]
    if not chosen:
        hint = did_you_mean(args.pattern, [doc.key for doc in docs])
        raise ConfigError(f"invalid keys pattern {args.pattern!r}: no key contains or matches it{hint}")
    if args.json:
        print(json.dumps([doc.to_json() for doc in chosen], indent=2, default=str))
    elif args.quiet:
        print("\n".join(doc.key for doc in chosen))
    else:
        print("\n".join(format_key(doc) for doc in chosen))
    return 0
