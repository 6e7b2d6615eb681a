"""Turning presets, TOML files and ``--set`` overrides into one :class:`Config`.

Every way in funnels through :func:`build_config`, so every bad value gets the
same treatment: a :class:`ConfigError` naming the field, the value and what is
allowed, which the CLI prints as one line before exiting with status 2.
"""

from __future__ import annotations

import difflib
import math
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from emulator.config.rules import check_rules
from emulator.config.scenarios import SCENARIOS
from emulator.config.tree import FAULT_KINDS, Config, FaultSpec
from emulator.kernel.durations import parse_duration

__all__ = [
    "ConfigError",
    "build_config",
    "did_you_mean",
    "field_metadata",
    "flatten_config",
    "one_line",
    "parse_fault",
    "parse_set",
]

MAX_SCENARIO_BYTES = 1 << 20  # a scenario file is a few lines; refuse anything near this
MAX_TABLE_DEPTH = 8  # the config tree is 3 tables deep


# What str.splitlines breaks on, beyond "\n": a key or value a user typed may hold any of them.
_LINE_BREAKS = {ord(c): c.encode("unicode_escape").decode() for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class ConfigError(ValueError):
    """Bad user input; ``str()`` is the one line shown to the user.

    The message quotes what the user typed, which may hold line breaks of
    any kind: they are shown escaped, so the refusal stays one line.
    """

    def __str__(self) -> str:
        return one_line(super().__str__())


def one_line(text: str) -> str:
    """``text`` with every kind of line break shown escaped."""
    return text.translate(_LINE_BREAKS)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_config_class(tp: object) -> bool:
    return isinstance(tp, type) and attrs.has(tp)


def flatten_config(config: Any, prefix: str = "") -> dict[str, Any]:
    """``{"dns.race_fix": False, ...}``; faults become a list of strings."""
    flat: dict[str, Any] = {}
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        key = f"{prefix}{field.name}"
        if attrs.has(type(value)) and not isinstance(value, FaultSpec):
            flat.update(flatten_config(value, key + "."))
        elif key == "faults":
            flat[key] = [format_fault(f) for f in value]
        else:
            flat[key] = value
    return flat


def _leaf_types(cls: type, prefix: str = "") -> dict[str, Any]:
    leaves: dict[str, Any] = {}
    for name, tp in _field_types(cls).items():
        if _is_config_class(tp) and tp is not FaultSpec:
            leaves.update(_leaf_types(tp, f"{prefix}{name}."))
        else:
            leaves[f"{prefix}{name}"] = tp
    return leaves


LEAF_TYPES: dict[str, Any] = _leaf_types(Config)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """'; did you mean X?' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _coerce(key: str, raw: object, tp: Any, source: str) -> Any:
    where = f"{key}={raw!r} ({source})"
    if tp is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return raw.lower() in ("true", "1", "yes", "on")
        raise ConfigError(f"invalid {where}: expected true or false")
    if tp is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            try:
                return int(raw.replace("_", ""))
            except ValueError:
                pass
        raise ConfigError(f"invalid {where}: expected a whole number")
    if tp is float:
        # A duration key (``_s``) takes 90s, 10m, 2h; a rate (``_per_s``) or a fraction takes a plain number.
        is_duration = key.endswith("_s") and not key.endswith("_per_s")
        value: float | None = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        elif isinstance(raw, str):
            try:
                value = parse_duration(raw) if is_duration else float(raw)
            except ValueError:
                value = None
        if value is not None and math.isfinite(value):
            return value
        allowed = "a number of seconds or a duration like 90s, 10m, 1h30m" if is_duration else "a finite number"
        raise ConfigError(f"invalid {where}: expected {allowed}")
    if tp is str:
        return str(raw)
    raise ConfigError(f"invalid {where}: this key cannot be set this way")


def _validate(cls: type, kwargs: dict[str, Any], prefix: str) -> None:
    for field in attrs.fields(cls):
        if field.validator is None or field.name not in kwargs:
            continue
        try:
            field.validator(None, field, kwargs[field.name])
        except (ValueError, TypeError) as exc:
            detail = str(exc).split(":")[0].replace(f"'{field.name}'", "").strip()
            raise ConfigError(f"invalid {prefix}{field.name}={kwargs[field.name]!r}: {detail}") from None


def _build(cls: type, flat: Mapping[str, Any], prefix: str = "") -> Any:
    kwargs: dict[str, Any] = {}
    for name, tp in _field_types(cls).items():
        key = f"{prefix}{name}"
        if _is_config_class(tp) and tp is not FaultSpec:
            kwargs[name] = _build(tp, flat, key + ".")
        elif key in flat:
            kwargs[name] = flat[key]
    _validate(cls, kwargs, prefix)
    return cls(**kwargs)


def parse_fault(text: str, source: str = "--fault") -> FaultSpec:
    """``KIND:AT:DURATION[:TARGET]``, e.g. ``empty_record:10m:2h``."""
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise ConfigError(f"invalid fault {text!r} ({source}): expected KIND:AT:DURATION[:TARGET]")
    kind, at, duration = parts[:3]
    if kind not in FAULT_KINDS:
        allowed = ", ".join(FAULT_KINDS)
        raise ConfigError(f"invalid fault kind {kind!r} ({source}): allowed {allowed}{did_you_mean(kind, FAULT_KINDS)}")
    try:
        at_s, duration_s = parse_duration(at), parse_duration(duration)
    except ValueError as exc:
        raise ConfigError(f"invalid fault {text!r} ({source}): {exc}") from None
    if duration_s <= 0:
        raise ConfigError(f"invalid fault {text!r} ({source}): DURATION must be > 0")
    return FaultSpec(kind=kind, at_s=at_s, duration_s=duration_s, target=parts[3] if len(parts) == 4 else "")


def format_fault(fault: FaultSpec) -> str:
    text = f"{fault.kind}:{fault.at_s:g}s:{fault.duration_s:g}s"
    return f"{text}:{fault.target}" if fault.target else text


def parse_set(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"invalid --set {text!r}: expected KEY=VALUE, e.g. dns.race_fix=true")
    return key.strip(), value.strip()


def _flatten_table(table: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    if depth > MAX_TABLE_DEPTH:
        raise ConfigError(f"invalid table [{prefix.rstrip('.')[:60]}...]: nested deeper than any config key")
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten_table(value, f"{prefix}{key}.", depth + 1))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _faults_from_toml(entries: object, source: str) -> list[FaultSpec]:
    if not isinstance(entries, list):
        raise ConfigError(f"invalid faults ({source}): expected [[faults]] tables or strings")
    faults = []
    for entry in entries:
        if isinstance(entry, str):
            faults.append(parse_fault(entry, source))
        elif isinstance(entry, dict) and {"kind", "at", "duration"} <= entry.keys():
            target = f":{entry['target']}" if entry.get("target") else ""
            faults.append(parse_fault(f"{entry['kind']}:{entry['at']}:{entry['duration']}{target}", source))
        else:
            raise ConfigError(f"invalid faults entry {entry!r} ({source}): needs kind, at, duration")
    return faults


def load_scenario(name_or_path: str) -> tuple[str, dict[str, Any], list[FaultSpec]]:
    """Name, flat overrides and faults of a preset or a TOML scenario file."""
    if name_or_path in SCENARIOS:
        return name_or_path, dict(SCENARIOS[name_or_path]), []
    path = Path(name_or_path)
    if not name_or_path.endswith(".toml"):
        raise ConfigError(
            f"invalid --scenario {name_or_path!r}: allowed {', '.join(SCENARIOS)} or a FILE.toml"
            + did_you_mean(name_or_path, SCENARIOS)
        )
    shown = f"invalid --scenario {name_or_path!r}"
    try:
        if path.stat().st_size > MAX_SCENARIO_BYTES:
            raise ConfigError(f"{shown}: larger than {MAX_SCENARIO_BYTES // 1024} KiB; a scenario is a few lines")
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not a text file (TOML is UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: malformed TOML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise ConfigError(f"{shown}: tables nested too deeply") from None
    base = table.pop("scenario", "incident")
    if base not in SCENARIOS:
        raise ConfigError(
            f"invalid scenario={base!r} ({path}): allowed {', '.join(SCENARIOS)}{did_you_mean(base, SCENARIOS)}"
        )
    faults = _faults_from_toml(table.pop("faults", []), str(path))
    overrides = dict(SCENARIOS[base])
    overrides.update(_flatten_table(table))
    return path.stem, overrides, faults


def build_config(
    scenario: str = "incident",
    sets: Iterable[tuple[str, str]] = (),
    faults: Iterable[str] = (),
    *,
    realtime_speed: float | None = None,
) -> tuple[str, Config]:
    """Scenario, then ``--set`` pairs, then ``--fault`` strings, in that order."""
    name, overrides, fault_specs = load_scenario(scenario)
    source_of = {key: f"scenario {name}" for key in overrides}
    for key, value in sets:
        overrides[key] = value
        source_of[key] = "--set"
    flat: dict[str, Any] = {}
    for key, raw in overrides.items():
        if key == "faults":
            fault_specs.extend(_faults_from_toml(raw if isinstance(raw, list) else [raw], source_of[key]))
            continue
        if key not in LEAF_TYPES:
            raise ConfigError(
                f"invalid {key}={raw!r} ({source_of[key]}): no such key{did_you_mean(key, LEAF_TYPES)}; "
                "see `outage-emulator keys`"
            )
        flat[key] = _coerce(key, raw, LEAF_TYPES[key], source_of[key])
    fault_specs.extend(parse_fault(text) for text in faults)
    flat["faults"] = tuple(fault_specs)
    config: Config = _build(Config, flat)
    broken = check_rules(flatten_config(config), speed=realtime_speed)
    if broken is not None:
        raise ConfigError(broken)
    for fault in config.faults:
        if fault.at_s >= config.run.duration_s:
            raise ConfigError(
                f"invalid fault {format_fault(fault)!r}: starts at or after the run ends "
                f"(run.duration_s={config.run.duration_s:g}); allowed AT < the run's duration"
            )
    return name, config


def field_metadata(key: str) -> Mapping[str, Any]:
    """The attrs metadata of a leaf key's field (e.g. ``calibrated``: the AWS gap it copies)."""
    *path, name = key.split(".")
    owner: Any = Config()
    for part in path:
        owner = getattr(owner, part)
    return attrs.fields_dict(type(owner))[name].metadata
