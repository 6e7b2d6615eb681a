"""The bad-input contract, asserted over generated invocations (hypothesis).

Whatever a user types into ``run`` (``--set`` on the real config keys with
adversarial values, ``--fault``, ``--duration``, ``--speed``, ``--seed``, a
TOML scenario file), the program either refuses it the way the README
promises (exit 2, one line naming the field and the value, nothing written),
or accepts it. What it accepts, it must be able to run: a second property
plays accepted invocations on a tiny fleet for a few virtual minutes and
wants exit 0 and a strictly finite JSON report.

The first property stops each accepted invocation at the start of the work
(``run_world`` replaced by a sentinel), so it is cheap enough for 2,000
examples under the CI profile. Running every accepted example would cost
seconds each; the second property plays fewer of them.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import emulator.cli.main as cli
from emulator.config.describe import describe

KEYS = [doc.key for doc in describe()]
DEFAULTS = {doc.key: doc.default for doc in describe()}

# Values a user (or a fuzzer) types: numbers of every size and sign, non-finite
# spellings, durations where a rate belongs, booleans, junk and non-ASCII text.
NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "1e-300", "-1", "0", "0.0", "-0", "1", "2", "7", "33"]
WORDS = ["100000000", "5m", "1h30m", "20h", "true", "false", "yes", "", " ", "x", "0x10", "1_000", "é", "\x00"]
ADVERSARIAL = st.one_of(
    st.sampled_from([*NUMBERS, *WORDS]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
)


@st.composite
def set_pair(draw: st.DrawFn) -> str:
    key = draw(
        st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS).map(lambda key: key[:-1] + "x"), st.text(max_size=12))
    )
    value = draw(st.one_of(ADVERSARIAL, st.just(str(DEFAULTS.get(key, "")).lower())))
    return f"{key}={value}"


DURATIONS = st.one_of(
    st.sampled_from(["1m", "5m", "90s", "0", "-5m", "1h30m", "nan", "1e308", "m", "10x"]), st.text(max_size=6)
)
FAULTS = st.one_of(
    st.builds(
        lambda kind, at, length: f"{kind}:{at}:{length}",
        st.sampled_from(["empty_record", "stall_enactor", "empty_recrd", ""]),
        DURATIONS,
        DURATIONS,
    ),
    st.text(max_size=20),
)
TOML = st.one_of(
    st.dictionaries(
        st.sampled_from(KEYS), st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=5)), max_size=3
    ).map(lambda table: "\n".join(f"{json.dumps(key)} = {json.dumps(value)}" for key, value in table.items())),
    st.just("a = " + "[" * 5000),
    st.just("[" + ".".join(["t"] * 300) + "]\nx = 1"),
    st.text(max_size=40),
)


@st.composite
def plausible_pair(draw: st.DrawFn) -> str:
    """A real key near its default: what a user exploring the fixes would type, mostly valid."""
    key = draw(st.sampled_from(KEYS))
    default = DEFAULTS[key]
    if isinstance(default, bool):
        value = str(draw(st.booleans())).lower()
    elif isinstance(default, int | float):
        value = repr(type(default)(default * draw(st.sampled_from([0, 0.5, 1, 2, 3]))))
    else:
        value = str(default)
    return f"{key}={value}"


@st.composite
def invocation(draw: st.DrawFn, toml_dir: Path) -> list[str]:
    argv = ["run", "-q"]
    if draw(st.booleans()):
        argv += ["--duration", draw(DURATIONS)]
    if draw(st.booleans()):
        argv += ["--seed", draw(st.one_of(st.integers(-5, 2**40).map(str), st.text(max_size=4)))]
    if draw(st.booleans()):
        argv += [
            "--clock",
            "realtime",
            "--speed",
            draw(st.sampled_from(["nan", "1e308", "1e-300", "0", "-1", "600", "x"])),
        ]
    for pair in draw(st.lists(set_pair(), max_size=3)):
        argv += ["--set", pair]
    for fault in draw(st.lists(FAULTS, max_size=2)):
        argv += ["--fault", fault]
    if draw(st.booleans()):
        path = toml_dir / f"s{draw(st.integers(0, 10**9))}.toml"
        path.write_bytes(draw(st.one_of(TOML.map(str.encode), st.binary(max_size=40))))
        argv += ["--scenario", str(path)]
    return argv


@st.composite
def plausible_invocation(draw: st.DrawFn) -> list[str]:
    """Mostly valid: real keys near their defaults, now and then a junk one, a fault that fits."""
    argv = ["run", "-q", "--seed", str(draw(st.integers(0, 2**32 - 1)))]
    for pair in draw(st.lists(st.one_of(plausible_pair(), plausible_pair(), plausible_pair(), set_pair()), max_size=4)):
        argv += ["--set", pair]
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["empty_record", "stall_enactor"]))
        argv += ["--fault", f"{kind}:{draw(st.integers(0, 150))}s:{draw(st.integers(1, 600))}s"]
    return argv


class _Accepted(Exception):
    """Raised in place of the run: every check before the work had passed."""


def _refuse_or_accept(argv: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> tuple[int | None, str]:
    """Exit status and stderr; None when the invocation was accepted and would have run."""
    try:
        status: int | None = cli.main([*argv, "--report", str(out)])
    except _Accepted:
        status = None
    except SystemExit as exit_:  # argparse's own refusals
        status = int(exit_.code or 0)
    return status, capsys.readouterr().err


def _assert_one_line_refusal(status: int | None, err: str, argv: list[str], out: Path) -> None:
    assert status in (None, 2), f"{argv}: exit {status}\n{err}"
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"{argv}: more than one line:\n{err}"
        assert "Traceback" not in err and "error:" in lines[0], err
    assert not out.exists(), f"{argv}: wrote a report before (or instead of) running"


# Ten times the profile's examples: 250 by default, 2,000 under the CI profile (200).
@settings(
    max_examples=10 * settings().max_examples,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_every_invocation_is_refused_in_one_line_with_exit_2_or_accepted(
    data: st.DataObject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def accepted(*_args: Any, **_kwargs: Any) -> None:
        raise _Accepted

    monkeypatch.setattr(cli, "run_world", accepted)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        argv = data.draw(invocation(Path(folder)))
        status, err = _refuse_or_accept(argv, capsys, out)
        event("accepted" if status is None else f"exit {status}")
        _assert_one_line_refusal(status, err, argv, out)


def _strictly_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_strictly_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_strictly_finite(item) for item in value)
    return True


TINY = [
    *("--set", "ec2.droplets=60", "--set", "dwfm.hosts_per_az=1", "--set", "dwfm.workers=2"),
    *("--set", "nlb.load_balancers=2", "--set", "nlb.targets_per_az=2"),
]


@settings(
    max_examples=min(settings().max_examples, 40),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_what_is_accepted_runs_to_a_strictly_finite_report(
    data: st.DataObject, capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        # Generated values first, then a tiny fleet for a few virtual minutes, which win:
        # the property is about what the values do to a run, not about waiting for a big one.
        argv = data.draw(plausible_invocation())
        argv = [*argv, *TINY, "--duration", "3m"]
        with_set = [*argv, "--report", str(out)]
        try:
            status = cli.main(with_set)
        except SystemExit as exit_:
            status = int(exit_.code or 0)
        err = capsys.readouterr().err
        if status == 2:
            event("refused")
            _assert_one_line_refusal(status, err, argv, out)
            return
        event("ran")
        assert status == 0, f"{argv}: exit {status}\n{err}"
        report = json.loads(out.read_text(), parse_constant=lambda name: pytest.fail(f"{argv}: {name} in report"))
        assert _strictly_finite(report), argv
