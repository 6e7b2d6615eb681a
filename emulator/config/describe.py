"""What each configuration key is: type, unit, default, meaning, and whether it is calibrated.

The meaning comes from the config classes themselves: the comment lines just
above a field, or the comment at the end of its line. So ``outage-emulator
keys`` cannot drift from the code.
The unit follows the naming rule every key keeps: ``_s`` is virtual seconds,
``_per_s`` a rate per virtual second, ``_fraction`` a share from 0 to 1.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

import attrs

from emulator.config.loading import LEAF_TYPES, field_metadata, flatten_config
from emulator.config.tree import Config

__all__ = ["KeyDoc", "describe"]

_FIELD = re.compile(r"^    (\w+)\s*:\s*[\w\[\]| .]+=")


@attrs.frozen
class KeyDoc:
    key: str
    type: str
    unit: str
    default: Any
    meaning: str
    calibrated: str  # the AWS gap or target it was calibrated on; "" if not calibrated

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def unit_of(key: str) -> str:
    name = key.rsplit(".", 1)[-1]
    if name.endswith("_per_s"):
        return "per virtual second"
    if name.endswith("_s"):
        return "virtual seconds"
    if name.endswith("_fraction"):
        return "fraction (0-1)"
    return ""


@functools.cache
def _comments(cls: type) -> dict[str, str]:
    """Field name -> the comment above it (or at the end of its line)."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    found: dict[str, str] = {}
    above: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("#").strip())
            continue
        match = _FIELD.match(line)
        if match:
            trailing = line.rsplit("  # ", 1)[1].strip() if "  # " in line else ""
            if text := " ".join(above) or trailing:
                found[match.group(1)] = text
        if not line.startswith("        "):  # a continuation line keeps the comment above for none
            above = []
    return found


def _owner(key: str) -> type:
    owner: Any = Config()
    for part in key.split(".")[:-1]:
        owner = getattr(owner, part)
    return type(owner)


def describe() -> list[KeyDoc]:
    """Every settable key, sorted."""
    defaults = flatten_config(Config())
    docs = []
    for key in sorted(LEAF_TYPES):
        if key == "faults":
            continue
        owner = _owner(key)
        name = key.rsplit(".", 1)[-1]
        meaning = _comments(owner).get(name, "")
        kind = LEAF_TYPES[key]
        docs.append(
            KeyDoc(
                key=key,
                type=getattr(kind, "__name__", str(kind)),
                unit=unit_of(key),
                default=defaults[key],
                meaning=meaning,
                calibrated=str(field_metadata(key).get("calibrated", "")),
            )
        )
    return docs
