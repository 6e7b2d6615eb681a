"""Does a long soak keep its memory flat? Prints the soak's RSS at every virtual day.

Not a test (it takes minutes): run it by hand, e.g.::

    .venv/bin/python benchmarks/soak_memory.py --days 7 --speed 500

It starts ``outage-emulator soak`` as a user would (real-time clock, metrics
served on a free loopback port), scrapes ``/metrics`` every second like a
Prometheus would, and reads the soak's own virtual time from
``emulator_virtual_time_seconds`` (so a soak that falls behind its speed is
measured at the day it really reached, not the day the wall clock implies).
At each virtual day it prints the soak's resident memory; after ``--days`` it
stops the soak with SIGINT and checks that it exits 0.

The speed must be one the world keeps up with: a soak that falls behind
fires its timers late, and in the incident that alone keeps DWFM collapsed
(timeouts in virtual time pass while the work waits in real time), so its
queues, and its memory, grow for ever. The soak's report says how far it
fell behind (``realtime_max_lag_seconds``); the verdict refuses a run that
fell more than ``--max-lag`` behind, since it measured another world.

The verdict compares the last day with the first: a soak keeps no history
(the recorder is off, the exporter serves only the latest snapshot, series do
not grow with time), so after day 1 its RSS must grow by at most
``--max-growth`` (10 %). Exit 0 when it holds, 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DAY_S = 86_400.0
VIRTUAL_TIME = "emulator_virtual_time_seconds"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> tuple[float | None, int]:
    """(the soak's virtual time, how many series it serves); (None, 0) if it did not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            lines = [line for line in response.read().decode().splitlines() if not line.startswith("#")]
    except OSError:
        return None, 0
    virtual = next((float(line.split()[1]) for line in lines if line.startswith(VIRTUAL_TIME + " ")), None)
    return virtual, len(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="virtual days to soak (default 7)")
    parser.add_argument("--speed", type=float, default=500.0, help="soak speed, virtual s per wall s (default 500)")
    parser.add_argument("--scenario", default="incident")
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth after day 1 (0.10)")
    parser.add_argument("--max-lag", type=float, default=60.0, help="virtual s the soak may fall behind (60)")
    args = parser.parse_args()
    port = free_port()
    report = Path(tempfile.mkdtemp()) / "soak.json"
    soak = subprocess.Popen(
        [
            sys.executable, "-m", "emulator", "soak", "--scenario", args.scenario, "--speed", str(args.speed),
            "--metrics-port", str(port), "--status-every", "60", "-q", "--report", str(report),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.monotonic()
    by_day: list[float] = []
    print(f"soak pid {soak.pid}, scenario {args.scenario}, speed {args.speed:g}x, {args.days} virtual days")
    print(f"{'day':>4} {'wall_s':>7} {'rss_mib':>8} {'series':>7}")
    code: int | None = None
    try:
        while len(by_day) < args.days and soak.poll() is None:
            virtual, series = scrape(port)
            if virtual is not None and virtual >= (len(by_day) + 1) * DAY_S:
                by_day.append(rss_mib(soak.pid))
                print(f"{len(by_day):4d} {time.monotonic() - started:7.0f} {by_day[-1]:8.1f} {series:7d}", flush=True)
            time.sleep(1.0)
        if soak.poll() is None:
            soak.send_signal(signal.SIGINT)
        code = soak.wait(timeout=60)
    finally:
        if soak.poll() is None:
            soak.kill()
    if len(by_day) < 2:
        print(f"exit {code}; the soak reached {len(by_day)} virtual day(s), too few to judge")
        return 1
    growth = by_day[-1] / by_day[0] - 1
    lag = json.loads(report.read_text())["realtime_max_lag_seconds"] if report.exists() else float("inf")
    faithful = lag <= args.max_lag
    verdict = "holds" if growth <= args.max_growth and code == 0 and faithful else "FAILS"
    print(
        f"exit {code}; fell at most {lag:.1f} virtual s behind (limit {args.max_lag:g}"
        f"{'' if faithful else ': too fast for this machine, lower --speed'}); "
        f"RSS day 1 {by_day[0]:.1f} MiB, day {len(by_day)} {by_day[-1]:.1f} MiB, "
        f"peak {max(by_day):.1f} MiB: growth after day 1 {growth:+.1%} (limit {args.max_growth:+.0%}) {verdict}"
    )
    return 0 if verdict == "holds" else 1


if __name__ == "__main__":
    raise SystemExit(main())
