"""Serving a registry over HTTP for Prometheus to scrape, for as long as a run lasts.

prometheus_client's ``start_http_server`` serves from a daemon thread; this
wraps it so the server always binds the address it is given (127.0.0.1 by
default: the stdlib default would be every interface), is shut down and its
socket closed when the run ends, and a port that cannot be bound is reported
before anything runs.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, start_http_server

__all__ = ["DEFAULT_ADDR", "ExporterError", "metrics_url", "serve_metrics", "url_host"]

DEFAULT_ADDR = "127.0.0.1"


def url_host(addr: str) -> str:
    """``addr`` as it goes in a URL: an IPv6 address in brackets."""
    return f"[{addr}]" if ":" in addr else addr


def metrics_url(addr: str, port: int) -> str:
    return f"http://{url_host(addr)}:{port}/metrics"


class ExporterError(Exception):
    """The exporter could not listen; ``str()`` is one line for the user."""


@contextmanager
def serve_metrics(registry: CollectorRegistry, port: int, addr: str = DEFAULT_ADDR) -> Iterator[int]:
    """Serve ``registry`` on ``addr:port`` until the block ends; yields the bound port."""
    try:
        server, thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        # A port taken or privileged is the port's fault; anything else (no such
        # address here, a name that does not resolve) is the address's.
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            field = f"--metrics-port {port}"
        else:
            field = f"--metrics-addr {addr!r}"
        raise ExporterError(f"invalid {field}: cannot listen on {url_host(addr)}:{port} ({reason})") from None
    try:
        yield int(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
