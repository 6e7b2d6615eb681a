"""Serving a registry over HTTP for Prometheus to scrape, for as long as a run lasts.

prometheus_client's ``start_http_server`` serves from a daemon thread; this
wraps it so the server always binds the address it is given (127.0.0.1 by
default: the stdlib default would be every interface), is shut down and its
socket closed when the run ends, and a port that cannot be bound is reported
before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, start_http_server

__all__ = ["DEFAULT_ADDR", "ExporterError", "serve_metrics"]

DEFAULT_ADDR = "127.0.0.1"


class ExporterError(Exception):
    """The exporter could not listen; ``str()`` is one line for the user."""


@contextmanager
def serve_metrics(registry: CollectorRegistry, port: int, addr: str = DEFAULT_ADDR) -> Iterator[int]:
    """Serve ``registry`` on ``addr:port`` until the block ends; yields the bound port."""
    try:
        server, thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ExporterError(f"invalid --metrics-port {port}: cannot listen on {addr}:{port} ({reason})") from None
    try:
        yield int(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
