"""What passes between hypermax and a preloaded trial server (:mod:`.forkserver`), and how.

The two talk over a Unix ``SOCK_SEQPACKET`` socket, one packet a message. A request is a head
of :data:`HEAD_SIZE` bytes, what the server reads (the request's id, and the pid of the spare it
is meant for, or 0: :func:`request_head`), then the trial's folder and how its environment
differs from the server's, marshalled (:func:`request_trial`), which the server passes to the
spare as they came, without reading them; the trial's stdout, stderr, lifeline and result
socket come with it over ``SCM_RIGHTS`` (:data:`TRIAL_FDS` of them: :func:`recv_fds`).

Messages to hypermax are dicts, a tuple of them per packet, marshalled (:func:`send`: hypermax
and the server run the same interpreter; ``json`` would cost the server the objects that its
Python code makes, and a copy of each page they are on while a spare shares it):
``{"ready": pid}`` or ``{"failed": reason}`` once; ``{"id": n, "pid": p, "start": ticks}`` (no
``start`` for a request sent ``to`` a spare: hypermax knows it) or ``{"id": n, "error": text}``
per request; ``{"exit": p, "code": c, "maxrss_kib": k, "cpu": s}`` per trial. ``ready`` and each
reply also name the spare forked since (``"spare": p, "spare_start": ticks``).

What runs in the server and its spares here makes as few objects as it can: a forked trial
copies each page it writes.
"""

from __future__ import annotations

import _socket
import array
import contextlib
import marshal
import socket
import sys
from collections.abc import Iterable
from typing import Any

from hypermax.execution import forked_environ

#: the largest request (the trial's environment) the server reads
MAX_REQUEST = 4 * 1024 * 1024
#: the most messages in one packet to hypermax: well under the 64 kB it reads at a time (the
#: ends of as many trials, reaped at once, are about 60 bytes each)
MESSAGES_PER_PACKET = 256
#: a request's head: the request's id, and the pid of the spare it is meant for (0: any)
HEAD_SIZE = 16
#: the file descriptors of a request: the trial's stdout, stderr, lifeline and result socket
TRIAL_FDS = 4


def request_head(trial_id: int, to: int | None) -> bytes:
    """The head of a request (:data:`HEAD_SIZE` bytes): its id, the spare it is meant for."""
    return trial_id.to_bytes(8, "little") + (to or 0).to_bytes(8, "little")


def request_trial(server_env: dict[str, str], env: dict[str, str], cwd: str) -> bytes:
    """The rest of a request, which the server passes to the spare unread: the trial's folder
    and how its environment ``env`` differs from ``server_env``, the one the server was given
    (:func:`.forked_environ.server_environment`), marshalled (the server runs hypermax's own
    interpreter)."""
    changed, unset = forked_environ.environment_change(server_env, env)
    return marshal.dumps({"env": changed, "unset": unset, "cwd": cwd})


def recv_fds(sock: _socket.socket) -> tuple[bytes, list[int]]:
    """One message, and the file descriptors that came with it (at most :data:`TRIAL_FDS`):
    what ``socket.recv_fds`` does, for a socket of the C half too, with fewer objects made."""
    size = MAX_REQUEST
    if _SIZE_BY_PEEKING:  # its size first: a buffer of MAX_REQUEST is a mapping made, unmapped
        size = min(max(sock.recv_into(_PEEKED, 1, _socket.MSG_PEEK | _socket.MSG_TRUNC), 1), size)
    data, ancillary, _, _ = sock.recvmsg(size, _FDS_SPACE)
    fds = fd_array(())
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, fds.tolist()


def fd_array(fds: Iterable[int]) -> array.array[int]:
    """File descriptors as ``SCM_RIGHTS`` carries them."""
    return array.array("i", fds)


#: where the first byte of a request is peeked at: Linux then tells the request's whole size
_PEEKED = bytearray(1)
_SIZE_BY_PEEKING = sys.platform.startswith("linux")
#: room for a request's file descriptors
_FDS_SPACE = _socket.CMSG_SPACE(TRIAL_FDS * array.array("i").itemsize)


def send(sock: socket.socket, *messages: dict[str, Any]) -> None:
    """``messages`` to hypermax, in order, marshalled: a packet of at most
    :data:`MESSAGES_PER_PACKET` each (hypermax reads packets of up to 64 kB); none when there
    are none."""
    for at in range(0, len(messages), MESSAGES_PER_PACKET):
        with contextlib.suppress(OSError):  # hypermax is gone: the loop ends at the next read
            sock.send(marshal.dumps(messages[at : at + MESSAGES_PER_PACKET]))
