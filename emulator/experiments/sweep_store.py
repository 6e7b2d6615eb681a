"""The sweep's folder: ``results.csv`` grown one flushed row at a time, and the parameters beside it.

Rows are appended as runs finish, so Ctrl-C (or a killed machine) loses at
most the runs in flight. ``sweep.json`` records the parameters that define the
rows; running again with the same ``--out`` resumes (skipping finished runs)
only if they match, since mixing rows of two different sweeps in one table
would silently corrupt every statistic computed from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from emulator.config.loading import ConfigError
from emulator.experiments.sweep_spec import FIXED_COLUMNS, SweepSpec
from metrics.files import atomic_write

__all__ = ["PARAMS_FILE", "RESULTS_FILE", "ResultsStore", "decode_cell", "encode_cell", "read_rows"]

PARAMS_FILE = "sweep.json"
RESULTS_FILE = "results.csv"
_STATUSES = ("ok", "failed")


def encode_cell(value: Any) -> str:
    """CSV text: ``true``/``false`` for booleans, empty for null, ``repr`` for floats (exact round trip)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def decode_cell(text: str) -> bool | float | str | None:
    """Inverse of :func:`encode_cell` for outcome cells; anything else stays text."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and complete rows of a results file; a torn last line (a killed writer) is dropped."""
    with path.open(newline="") as stream:
        reader = csv.DictReader(stream)
        header = list(reader.fieldnames or [])
        rows = [
            row for row in reader if None not in row.values() and None not in row and row.get("status") in _STATUSES
        ]
    return header, rows


def _scenario_fingerprint(scenario: str) -> str | None:
    """A scenario file's content hash: editing the file between runs changes what the rows mean."""
    path = Path(scenario)
    if not scenario.endswith(".toml") or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ResultsStore:
    """``results.csv`` and ``sweep.json`` of one sweep folder."""

    def __init__(self, out: Path, spec: SweepSpec) -> None:
        self.out = out
        self.spec = spec
        self.results_path = out / RESULTS_FILE
        self.params_path = out / PARAMS_FILE
        self._params = {**spec.to_json(), "scenario_sha256": _scenario_fingerprint(spec.scenario)}
        self._header: list[str] = []
        self._stream: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def check(self) -> None:
        """Refuse a folder holding a different sweep; writes nothing (call before any run)."""
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"invalid --out {str(self.out)!r}: exists and is not a folder")
        if not self.params_path.exists():
            if self.results_path.exists():
                raise ConfigError(
                    f"invalid --out {str(self.out)!r}: holds {RESULTS_FILE} but no {PARAMS_FILE}; use another --out"
                )
            return
        try:
            stored = json.loads(self.params_path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"invalid --out {str(self.out)!r}: unreadable {PARAMS_FILE} ({exc})") from None
        differing = [name for name in self._params if stored.get(name) != self._params[name]]
        if differing:
            raise ConfigError(
                f"invalid --out {str(self.out)!r}: it holds a different sweep "
                f"({', '.join(differing)} {'differs' if len(differing) == 1 else 'differ'}); "
                "resume with the same parameters or use another --out"
            )

    def open(self) -> set[tuple[tuple[str, ...], int]]:
        """Create or resume the folder; return the keys of the runs already finished.

        Rows written before are re-written (atomically) without any torn line,
        so that appending starts on a clean line.
        """
        self.out.mkdir(parents=True, exist_ok=True)
        params = json.dumps(self._params, indent=2) + "\n"
        atomic_write(self.params_path, lambda stream: stream.write(params.encode()))
        rows: list[dict[str, str]] = []
        if self.results_path.exists():
            self._header, rows = read_rows(self.results_path)
            self._rewrite(rows)
        keys = self.spec.grid_keys
        return {(tuple(row[key] for key in keys), int(row["seed"])) for row in rows}

    def append(self, row: dict[str, Any]) -> None:
        """Write one finished run and flush it to the OS, so an interruption keeps it."""
        cells = {name: encode_cell(value) for name, value in row.items()}
        new_columns = [name for name in cells if name not in self._header]
        if new_columns or self._writer is None:
            self.close()
            existing = read_rows(self.results_path)[1] if self.results_path.exists() else []
            if not self._header:
                self._header = [*self.spec.grid_keys, *FIXED_COLUMNS]
            self._header += [name for name in new_columns if name not in self._header]
            self._rewrite(existing)
        assert self._writer is not None and self._stream is not None
        self._writer.writerow(cells)
        self._stream.flush()

    def rows(self) -> list[dict[str, str]]:
        """Every finished row so far, from the file (including rows of earlier, resumed sessions)."""
        if self._stream is not None:
            self._stream.flush()
        return read_rows(self.results_path)[1] if self.results_path.exists() else []

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self._writer = None

    def _rewrite(self, rows: Iterable[dict[str, str]]) -> None:
        """Replace the file with ``rows`` under the current header, then reopen it for appending.

        Used on resume and when a run reports a column no earlier row had (a
        new report section): the header of a CSV cannot grow in place.
        """
        self.close()
        if self._header:
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, self._header, restval="", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            atomic_write(self.results_path, lambda stream: stream.write(text.getvalue().encode()))
            self._stream = self.results_path.open("a", newline="")
            self._writer = csv.DictWriter(self._stream, self._header, restval="", lineterminator="\n")
