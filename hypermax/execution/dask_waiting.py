"""What hypermax says while it waits for a Dask scheduler that does not answer as it connects:
a scheduler that is not up yet (started by the same job script a moment later) and a mistyped
address look the same to Dask, which retries until its time is up; the user is told at once
which of the two it may be, and until when hypermax waits."""

from __future__ import annotations

import socket
import time

from hypermax.errors import one_line

#: how long a connection may take before hypermax says it waits: a scheduler that is up answers
#: well within it (a few ms on this machine, a round trip or two across a network)
QUIET_SECONDS = 0.5
#: how long the look at the scheduler's port waits for it to take the connection
PROBE_SECONDS = 1.0
#: how long a connection to a port that takes it may take before hypermax says it waits: a
#: scheduler on a loaded machine may be slow to answer, and one that hangs is said in time
SLOW_SECONDS = 5.0
#: why no scheduler answers at a port that takes connections
TAKES = "it takes the connection, but has not answered as a Dask scheduler does"


def waiting_line(address: str, why: str, wait: float, until: float, limit: str) -> str:
    """``hypermax: cluster: no Dask scheduler answers at ADDR yet (connection refused: ...):
    waiting up to 60 s for one, until 16:03:01 (cluster.lost_scheduler_wait)``: hypermax waits
    ``wait`` seconds, until ``until`` (a ``time.time()``); ``limit`` names what sets ``wait``."""
    shown = time.strftime("%H:%M:%S", time.localtime(until))
    return (
        f"hypermax: cluster: no Dask scheduler answers at {address} yet ({why}): "
        f"waiting up to {wait:g} s for one, until {shown} ({limit})"
    )


def why_not(address: str) -> str | None:
    """Why no scheduler answers at ``address``, as a look at its port finds: ``connection
    refused`` (nothing listens there: not up yet, or another port), ``the name HOST does not
    resolve (...)``, ``no answer`` (a host that is down, or a firewall); None for a port that
    takes the connection (a scheduler slow to answer, one that hangs, or another server).
    Addresses other than ``tcp://``, ``tls://``, ``ws://`` and ``wss://`` are not looked at."""
    place = host_port(address)
    if place is None:
        return "no answer"
    host, port = place
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            pass
    except socket.gaierror as exc:
        return f"the name {host} does not resolve ({one_line(exc)})"
    except ConnectionRefusedError:
        return "connection refused: nothing listens there"
    except TimeoutError:
        return "no answer"
    except OSError as exc:
        return one_line(exc)
    return None


def host_port(address: str) -> tuple[str, int] | None:
    """The host and port of a ``tcp://``, ``tls://``, ``ws://`` or ``wss://`` address."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, place = parse_address(address)
        host, port = parse_host_port(place)
    except ValueError:
        return None
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return None
    return host, int(port)
