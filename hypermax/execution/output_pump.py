"""One thread that carries every trial's stdout and stderr pipes to where they go."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import selectors
import threading
from collections.abc import Callable

log = logging.getLogger("hypermax")

_READ_CHUNK = 256 * 1024
_DRAIN_CHUNKS = 64


class Stream:
    """One pipe from a trial: where its bytes go, and whether it has ended.

    ``hold``, set by its sink, has the pump stop reading it after the chunk at hand, until
    :meth:`OutputPump.resume_held`; a cut, or the end of the pump, reads it anyway."""

    def __init__(self, fd: int, sink: Callable[[bytes], None]) -> None:
        self.fd = fd
        self.inode = os.fstat(fd).st_ino  # names the pipe in /proc/<pid>/fd of who holds it
        self.sink = sink
        self.ended = threading.Event()
        self.hold = False
        self.caught_up = threading.Event()  # set by the pump once it read what was there


class OutputPump:
    """One thread that drains every trial's stdout and stderr pipes as data arrives."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        try:
            self._wake_read, self._wake_write = os.pipe()
        except BaseException:
            self._selector.close()
            raise
        # what the pump is asked, and the streams it is asked of (for "resume", none: every one)
        self._requests: queue.SimpleQueue[tuple[str, tuple[Stream, ...]]] = queue.SimpleQueue()
        self._held: set[Stream] = set()  # not read for now (see Stream.hold), still open
        self._strangers_told = False  # a stream it was never handed was asked about
        self._closing = False  # close was called: requests are answered by the caller
        self._closing_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hypermax-output", daemon=True)
        try:
            os.set_blocking(self._wake_read, False)
            os.set_blocking(self._wake_write, False)
            self._selector.register(self._wake_read, selectors.EVENT_READ, None)
            self._thread.start()
        except BaseException:  # no thread (or no room) left: nothing of it stays open
            self._selector.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
            raise

    def add(self, *streams: Stream) -> None:
        """Start carrying ``streams`` (a trial's two pipes: one request, one wake-up of the
        pump); the ``ended`` event of each is set at its end of file."""
        self._request("add", streams)

    def cut(self, stream: Stream) -> None:
        """Take what ``stream`` holds now and stop reading it (a leftover process holds it)."""
        self._request("cut", (stream,))

    def resume_held(self, stream: Stream | None = None) -> None:
        """Read again ``stream`` (by default every stream) that its sink asked to hold."""
        self._request("resume", () if stream is None else (stream,))

    def catch_up(self, stream: Stream) -> None:
        """Read what ``stream`` holds now (within reason), then set its ``caught_up``; a held
        stream is left unread."""
        self._request("catch_up", (stream,))

    def close(self) -> None:
        """Stop the thread; streams still open are cut. A second call does nothing, and a
        request that comes after the first is answered at once (:func:`_answer_closed`)."""
        with self._closing_lock:
            if self._closing:
                return
            self._closing = True
            stopping = self._thread.is_alive()
            if stopping:
                self._request_now("stop", ())
        if stopping:
            self._thread.join()
        os.close(self._wake_write)

    def _request(self, what: str, streams: tuple[Stream, ...]) -> None:
        with self._closing_lock:
            if not self._closing:
                self._request_now(what, streams)
                return
        _answer_closed(what, streams)

    def _request_now(self, what: str, streams: tuple[Stream, ...]) -> None:
        self._requests.put((what, streams))
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"\0")

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is not None:
                    if not key.data.ended.is_set():  # a request of this round may have ended it
                        self._read(key.data)
                elif not self._handle_requests():
                    self._shut()
                    return

    def _handle_requests(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass
        while True:
            try:
                what, streams = self._requests.get_nowait()
            except queue.Empty:
                return True
            if what == "stop":
                return False
            if what == "resume":
                self._resume(list(streams or self._held))
                continue
            for stream in streams:
                if what == "add":
                    self._add(stream)
                elif not self._carries(stream):
                    self._stranger(stream)
                elif what == "cut" and not stream.ended.is_set():
                    self._drain(stream)
                elif what == "catch_up":
                    self._catch_up(stream)

    def _add(self, stream: Stream) -> None:
        """Carry ``stream`` from now on; one that cannot be watched ends here, and the other
        trials' output goes on. Its pipe is closed then (the pump owns what it is handed),
        unless its number names no open file or one the pump reads for another stream."""
        try:
            self._selector.register(stream.fd, selectors.EVENT_READ, stream)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("cannot read the output of a trial (%s); dropping it", exc)
            if isinstance(exc, OSError) and exc.errno != errno.EBADF:  # no room left to watch
                with contextlib.suppress(OSError):
                    os.close(stream.fd)
            stream.ended.set()

    def _carries(self, stream: Stream) -> bool:
        """Whether ``stream`` is one the pump was handed and still reads (or holds)."""
        if stream in self._held or stream.ended.is_set():
            return True  # an ended one: nothing to do for it, as for any other
        key = self._selector.get_map().get(stream.fd)
        return key is not None and key.data is stream

    def _stranger(self, stream: Stream) -> None:
        """A cut or catch-up of a stream the pump was never handed: its pipe is not the
        pump's to read or close (its number may name another's by now); whoever waits for
        it is told it ended."""
        if not self._strangers_told:
            self._strangers_told = True
            log.warning("asked about the output of a trial it never carried; ignoring it")
        stream.caught_up.set()
        stream.ended.set()

    def _read(self, stream: Stream) -> bool:
        """Move one chunk; at end of file, finish the stream. False when nothing was there."""
        try:
            data = os.read(stream.fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if data:
            try:
                stream.sink(data)
            except Exception:  # one trial's broken sink must not stop every trial's output
                log.exception("cannot take the output of a trial; dropping the rest of it")
                stream.sink = _discard
            if stream.hold and stream not in self._held and not stream.ended.is_set():
                self._selector.unregister(stream.fd)
                self._held.add(stream)
            return True
        self._finish(stream)
        return False

    def _catch_up(self, stream: Stream) -> None:
        if stream not in self._held:
            for _ in range(_DRAIN_CHUNKS):
                if stream.ended.is_set() or not self._read(stream) or stream.hold:
                    break
        stream.caught_up.set()

    def _drain(self, stream: Stream) -> None:
        """Read what the pipe holds now (within reason: a writer may never stop), then close."""
        for _ in range(_DRAIN_CHUNKS):
            if stream.ended.is_set() or not self._read(stream):
                break
        if not stream.ended.is_set():
            self._finish(stream)

    def _resume(self, streams: list[Stream]) -> None:
        for stream in streams:
            stream.hold = False
            if stream in self._held:
                self._held.discard(stream)
                self._selector.register(stream.fd, selectors.EVENT_READ, stream)

    def _finish(self, stream: Stream) -> None:
        if stream in self._held:
            self._held.discard(stream)
        else:
            self._selector.unregister(stream.fd)
        os.close(stream.fd)
        stream.ended.set()

    def _shut(self) -> None:
        self._resume(list(self._held))
        for key in list(self._selector.get_map().values()):
            if key.data is not None:
                self._drain(key.data)
        self._selector.close()
        os.close(self._wake_read)


def _answer_closed(what: str, streams: tuple[Stream, ...]) -> None:
    """A request to a pump that is closed or closing, answered in the caller's thread (the
    pump's thread, which owned the wake-up pipe, takes no more; writing to that pipe's number
    would write to whatever file took it). A stream handed to it now gets what its pipe holds,
    then ends, as the pump cuts streams at its end. A cut or catch-up finds every stream the
    pump carried cut already, and one it never carried is told it ended, as a stranger is
    (its pipe not touched). A resume has nothing left to do."""
    if what == "resume":
        return
    for stream in streams:
        if what == "add":
            take_and_close(stream)
        stream.caught_up.set()
        stream.ended.set()


def take_and_close(stream: Stream) -> None:
    """Give ``stream``'s sink what its pipe holds now (within reason), close it, end it."""
    with contextlib.suppress(OSError):
        os.set_blocking(stream.fd, False)
        for _ in range(_DRAIN_CHUNKS):
            data = os.read(stream.fd, _READ_CHUNK)
            if not data:
                break
            with contextlib.suppress(Exception):
                stream.sink(data)
    with contextlib.suppress(OSError):
        os.close(stream.fd)
    stream.ended.set()


def _discard(data: bytes) -> None:
    """A sink that drops what it gets."""
