"""Does a long soak keep its memory flat? Prints the soak's RSS at intervals.

Not a test (it takes minutes): run it by hand, e.g.::

    .venv/bin/python benchmarks/soak_memory.py --speed 3000 --seconds 120

It starts ``outage-emulator soak`` as a user would (real-time clock, metrics
served on a free loopback port), scrapes ``/metrics`` every second like a
Prometheus would, prints the soak's resident memory every ``--every``
seconds, then stops it with SIGINT and checks that it exits 0. The RSS after
warm-up should stay flat: the recorder keeps no history in a soak, the
exporter serves only the latest snapshot and series do not grow with time.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=3000.0, help="soak speed (virtual s per wall s)")
    parser.add_argument("--seconds", type=float, default=120.0, help="wall seconds to run")
    parser.add_argument("--every", type=float, default=10.0, help="wall seconds between RSS lines")
    parser.add_argument("--scenario", default="incident")
    args = parser.parse_args()
    port = free_port()
    soak = subprocess.Popen(
        [
            sys.executable, "-m", "emulator", "soak", "--scenario", args.scenario, "--speed", str(args.speed),
            "--metrics-port", str(port), "--status-every", "5", "-q",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    started = time.monotonic()
    next_print = started
    scrapes, series = 0, 0
    readings: list[float] = []
    print(f"soak pid {soak.pid}, speed {args.speed:g}x, port {port}")
    print(f"{'wall_s':>7} {'virtual_h':>10} {'rss_mib':>8} {'series':>7} {'scrapes':>8}")
    try:
        while (elapsed := time.monotonic() - started) < args.seconds:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    lines = [line for line in response.read().decode().splitlines() if not line.startswith("#")]
                scrapes += 1
                series = len(lines)
            except OSError:
                pass
            if time.monotonic() >= next_print:
                rss = rss_mib(soak.pid)
                readings.append(rss)
                virtual_h = elapsed * args.speed / 3600
                print(f"{elapsed:7.0f} {virtual_h:10.1f} {rss:8.1f} {series:7d} {scrapes:8d}", flush=True)
                next_print += args.every
            time.sleep(1.0)
        soak.send_signal(signal.SIGINT)
        code = soak.wait(timeout=30)
    finally:
        if soak.poll() is None:
            soak.kill()
    warm = readings[len(readings) // 4 :] or readings
    low, high, last = min(warm), max(warm), readings[-1]
    print(f"exit {code}; RSS after warm-up: min {low:.1f} MiB, max {high:.1f} MiB, last {last:.1f} MiB")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
