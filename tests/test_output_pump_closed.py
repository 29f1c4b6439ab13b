"""Requests that reach the output pump after it closed: hypermax's hosts hand a pump out and
close it at exit, while a trial's follower may still hold it. They are answered at once, and
the pump's old wake-up pipe, whose numbers other files take, is never written to again."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from hypermax.execution import output


def test_requests_after_close_write_nothing_to_files_that_took_its_numbers(
    tmp_path: Path,
) -> None:
    pump = output.OutputPump()
    pump.close()
    # the two descriptors the pump closed are the lowest free ones: these files take them
    files = [os.open(tmp_path / name, os.O_RDWR | os.O_CREAT) for name in ("a", "b")]
    try:
        stream_read, stream_write = os.pipe()
        stranger = output.Stream(stream_read, lambda data: None)
        pump.catch_up(stranger)
        pump.cut(stranger)
        pump.resume_held()
        assert stranger.caught_up.is_set() and stranger.ended.is_set()
        os.close(stream_read)
        os.close(stream_write)
        pump.close()  # a second close closes nothing more
        for fd in files:
            os.fstat(fd)  # still open
        assert (tmp_path / "a").read_bytes() == b"" and (tmp_path / "b").read_bytes() == b""
    finally:
        for fd in files:
            os.close(fd)


def test_a_stream_handed_to_a_closed_pump_gets_what_its_pipe_holds_and_ends() -> None:
    pump = output.OutputPump()
    pump.close()
    read_end, write_end = os.pipe()
    os.write(write_end, b"last words\n")
    taken = bytearray()
    stream = output.Stream(read_end, taken.extend)
    pump.add(stream)
    os.close(write_end)
    assert stream.ended.is_set()
    assert bytes(taken) == b"last words\n"
    try:
        os.fstat(read_end)
    except OSError:
        pass
    else:
        raise AssertionError("the pump left the pipe it was handed open")


def test_closes_from_two_threads_at_once_end_the_pump_once() -> None:
    pump = output.OutputPump()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def close() -> None:
        start.wait(5)
        try:
            pump.close()
        except BaseException as exc:  # the test reports any
            errors.append(exc)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []


def test_a_host_closed_starts_no_pump_for_pipes_handed_to_it_later() -> None:
    """A trial's pipes handed to a host after its close (a shared host closed at exit while a
    trial still starts) get what they hold and end; no pump's thread is started to carry them,
    which nothing would close."""
    from hypermax.execution.host import TrialHost
    from hypermax.execution.limits import Limits

    def pumps() -> int:
        return sum(thread.name == "hypermax-output" for thread in threading.enumerate())

    host = TrialHost(Limits())
    host.close()
    before = pumps()
    read_end, write_end = os.pipe()
    os.write(write_end, b"late\n")
    os.close(write_end)
    taken = bytearray()
    stream = output.Stream(read_end, taken.extend)
    host.carry((stream,))
    assert stream.ended.is_set() and bytes(taken) == b"late\n"
    assert pumps() == before
