"""A trial's output pipes held open past its end by a process hypermax cannot find: what was
written is kept, and the log says once that hypermax stopped reading."""

from __future__ import annotations

import os

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
