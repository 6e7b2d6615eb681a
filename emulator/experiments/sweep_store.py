"""The sweep's folder: ``results.csv`` grown one fsync'd row at a time, and the parameters beside it.

Rows are appended as runs finish, each in one write and fsync'd, so Ctrl-C,
SIGKILL or a lost machine costs at most the runs in flight. A process killed
mid-write leaves a last row without its line ending, perhaps cut inside its
last cell (4.5 as 4, which parses as a whole row): a row counts only with its
newline, so such a row is dropped on resume and run again.

``sweep.json`` records the parameters that define the rows; running again
with the same ``--out`` resumes (skipping finished runs) only if they match,
since mixing rows of two different sweeps in one table would silently
corrupt every statistic computed from it.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emulator.config.loading import ConfigError
from emulator.experiments.sweep_spec import FIXED_COLUMNS, SweepSpec
from metrics.files import OutputError, atomic_write, remove_leftover_temporaries, write_all

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
    """Header and complete rows of a results file; a torn last row (a killed writer) is dropped.

    Complete means ended by its newline, as wide as the header and with a
    known status. A cut inside a quoted cell that held a newline leaves an
    open quote, which the strict parser refuses: the rows before it stand.
    """
    with path.open(newline="", errors="replace") as stream:
        text = stream.read()
    records = csv.reader(io.StringIO(text[: text.rfind("\n") + 1], newline=""), strict=True)
    header: list[str] = []
    rows: list[dict[str, str]] = []
    try:
        header = next(records, [])
        for record in records:
            row = dict(zip(header, record, strict=False))
            if len(record) == len(header) and row.get("status") in _STATUSES:
                rows.append(row)
    except csv.Error:
        pass
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
        self._handle: int | None = None  # results.csv, open for appending

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
        for path in (self.params_path, self.results_path):
            remove_leftover_temporaries(path)  # from a sweep killed mid-rewrite
        params = json.dumps(self._params, indent=2) + "\n"
        atomic_write(self.params_path, lambda stream: stream.write(params.encode()))
        rows: dict[tuple[tuple[str, ...], int], dict[str, str]] = {}
        if self.results_path.exists():
            self._header, found = read_rows(self.results_path)
            for row in found:  # one row per run, whatever an older version or a hand edit left
                rows.setdefault(self._key(row), row)
            self._rewrite(rows.values())
        return set(rows)

    def _key(self, row: dict[str, str]) -> tuple[tuple[str, ...], int]:
        return tuple(row[key] for key in self.spec.grid_keys), int(row["seed"])

    def append(self, row: dict[str, Any]) -> None:
        """Write one finished run in one write, fsync'd, so neither SIGKILL nor a lost machine tears it.

        If the write fails (a full disk), the file is cut back to where it
        was, so no torn row is left, and :class:`OutputError` is raised.
        """
        cells = {name: encode_cell(value) for name, value in row.items()}
        new_columns = [name for name in cells if name not in self._header]
        if new_columns or self._handle is None:
            self.close()
            existing = read_rows(self.results_path)[1] if self.results_path.exists() else []
            if not self._header:
                self._header = [*self.spec.grid_keys, *FIXED_COLUMNS]
            self._header += [name for name in new_columns if name not in self._header]
            self._rewrite(existing)
        assert self._handle is not None
        line = io.StringIO(newline="")
        csv.DictWriter(line, self._header, restval="", lineterminator="\n").writerow(cells)
        size = os.lseek(self._handle, 0, os.SEEK_END)
        try:
            write_all(self._handle, line.getvalue().encode())
            os.fsync(self._handle)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._handle, size)
            raise OutputError(self.results_path, exc) from None

    def rows(self) -> list[dict[str, str]]:
        """Every finished row so far, from the file (including rows of earlier, resumed sessions)."""
        return read_rows(self.results_path)[1] if self.results_path.exists() else []

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

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
            self._handle = os.open(self.results_path, os.O_WRONLY | os.O_APPEND)
