"""What schema.json cannot say about the ``cluster`` section: Dask is there to use, the
scheduler's address is one, and the TLS files exist."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypermax.specfile.paths import path_problem
from hypermax.specfile.problems import Problem
from hypermax.values import quoted

#: the protocols a Dask scheduler's address may name
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")


def cluster_problems(cluster: dict[str, Any], folder: Path) -> Iterator[Problem]:
    """Problems of the ``cluster`` section; ``folder`` is the spec's folder."""
    if importlib.util.find_spec("distributed") is None:
        yield ("cluster",), 'needs Dask on this machine: pip install "hypermax[dask]"'
    address = cluster["scheduler"]
    problem = address_problem(address)
    if problem is not None:
        yield ("cluster", "scheduler"), problem
    security = cluster.get("security", {})
    if security and problem is None and not address.startswith(("tls://", "wss://")):
        yield (
            ("cluster", "security"),
            f'is for a "tls://" or "wss://" scheduler address, got {quoted(address)}',
        )
    for key, value in security.items():
        if key.startswith("tls_") and (missing := path_problem(value, folder, "file")) is not None:
            yield ("cluster", "security", key), missing
    if "tls_client_key" in security and "tls_client_cert" not in security:
        yield ("cluster", "security", "tls_client_key"), "is only used with tls_client_cert"


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a Dask scheduler's address (``[protocol://]host:port``; the port
    may be left out of a ``ucx://`` one), or None."""
    protocol, _, place = address.rpartition("://")
    if protocol and protocol not in SCHEDULER_PROTOCOLS:
        known = ", ".join(f"{name}://" for name in SCHEDULER_PROTOCOLS)
        return f'unknown protocol "{protocol}://" (use {known}), got {quoted(address)}'
    host, port = place, None
    if ":" in place and not place.endswith("]"):  # "[::1]" is a host without a port
        host, _, port = place.rpartition(":")
        if not (port.isdigit() and 0 < int(port) < 65536):
            return f"must end in a port number from 1 to 65535, got {quoted(address)}"
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        return f'must be a scheduler address like "tcp://host:8786", got {quoted(address)}'
    if port is None and protocol != "ucx":  # Dask finds no default port for the others
        return f'needs a port, as in "{protocol or "tcp"}://{host}:8786", got {quoted(address)}'
    return None
