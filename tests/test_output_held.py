"""A trial's output pipes held open past its end by a process hypermax cannot find: what was
written is kept, and the log says once that hypermax stopped reading."""

from __future__ import annotations

import os
import threading

import pytest

from hypermax.execution import output


def test_both_pipes_held_open_leave_one_note(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "OUTPUT_DRAIN_SECONDS", 0.05)  # how long an ended trial's wait
    log = output.LogSink(tmp_path / "trial.log")
    trial_output = output.TrialOutput(log, lambda step, metrics: None)
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pump = output.OutputPump()
    try:
        for stream in trial_output.attach(out_read, err_read):
            pump.add(stream)
        os.write(out_write, b"0.5\n")
        trial_output.drain(pump.cut)  # the write ends stay open: as a leftover holds them
    finally:
        pump.close()
        os.close(out_write)
        os.close(err_write)
        log.close()
    text = (tmp_path / "trial.log").read_text()
    assert text.startswith("0.5\n")
    assert trial_output.scanner.result == {"loss": 0.5}
    assert text.count("[hypermax: stopped reading the trial's output") == 1


def test_output_read_after_the_trial_log_closed_is_dropped(tmp_path) -> None:
    """The pump may read a pipe a leftover holds after the trial ended and its log closed: what
    it reads is dropped, not raised into the pump (a traceback in hypermax.log)."""
    log = output.LogSink(tmp_path / "trial.log")
    log.write(b"0.5\n")
    log.close()
    log.write(b"late\n")
    log.note("late")
    assert (tmp_path / "trial.log").read_bytes() == b"0.5\n"


def test_a_pipe_read_to_its_end_by_a_request_is_not_read_again_in_the_same_round() -> None:
    """The request to take in what a pipe holds comes in, then the pipe ends, while the reader
    is busy: both wake it at once; the request reads the pipe to its end and closes it."""
    pump = output.OutputPump()
    busy, free = threading.Event(), threading.Event()
    first_read, first_write = os.pipe()
    second_read, second_write = os.pipe()
    taken = bytearray()

    def slow(data: bytes) -> None:
        busy.set()
        free.wait(5)

    first = output.Stream(first_read, slow)
    second = output.Stream(second_read, taken.extend)
    pump.add(first)
    pump.add(second)
    try:
        os.write(first_write, b"x")
        assert busy.wait(5)  # the reader is in the slow sink
        pump.catch_up(second)
        os.write(second_write, b"done\n")
        os.close(second_write)
        free.set()
        assert second.caught_up.wait(5) and second.ended.wait(5)
        os.close(first_write)
        assert first.ended.wait(5), "the reader's thread died"
        assert bytes(taken) == b"done\n"
    finally:
        free.set()
        pump.close()


def test_a_stdout_a_report_held_is_read_to_its_end_as_the_trial_ends(tmp_path) -> None:
    """The pump is asked to read stdout again at the end only when a report held it: held, it
    is, and the drain neither waits out its limit nor cuts the pipe."""
    log = output.LogSink(tmp_path / "trial.log")
    reported = threading.Event()
    trial_output: output.TrialOutput

    def on_report(step: int, metrics: dict) -> None:
        trial_output.hold_stdout()  # its reader takes in no more: as a full queue of reports
        reported.set()

    trial_output = output.TrialOutput(log, on_report)
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pump = output.OutputPump()
    try:
        pump.add(*trial_output.attach(out_read, err_read))
        os.write(out_write, b'HYPERMAX_REPORT {"step": 1, "loss": 0.9}\n')
        assert reported.wait(5)
        os.write(out_write, b"0.5\n")
        os.close(out_write)
        os.close(err_write)
        cuts: list[output.Stream] = []
        trial_output.drain(cuts.append, pump.resume_held)
        assert all(stream.ended.is_set() for stream in trial_output.streams) and not cuts
    finally:
        pump.close()
        log.close()
    assert trial_output.scanner.result == {"loss": 0.5}
    assert "[hypermax: stopped reading" not in (tmp_path / "trial.log").read_text()
