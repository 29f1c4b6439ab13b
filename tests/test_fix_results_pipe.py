"""A reader that goes away (``hypermax export DIR | head -1``) ends a command quietly, exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import model_spec

from hypermax.cli import main


def _results_folder(folder: Path, trials: int) -> Path:
    """A results folder of ``trials`` finished trials, journaled by hand."""
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i in range(1, trials + 1):
        lines.append({"event": "trial_started", "id": i, "params": {"x": i / trials, "n": i}})
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": 1 / i})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def _hypermax(args: list[str], reader_reads: int) -> tuple[int, bytes, bytes]:
    """Run ``hypermax ARGS`` with stdout a real pipe whose reader reads ``reader_reads`` lines
    and closes it (0: closed before hypermax starts); its exit code, the lines read, stderr."""
    read_end, write_end = os.pipe()
    if not reader_reads:
        os.close(read_end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hypermax", *args],
        stdout=write_end,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(write_end)
    got = b""
    if reader_reads:
        with open(read_end, "rb") as reader:
            got = b"".join(reader.readline() for _ in range(reader_reads))
    _, err = proc.communicate(timeout=60)
    return proc.returncode, got, err


@pytest.mark.parametrize("command", [["export"], ["show", "--top", "50"]])
def test_a_stdout_whose_reader_closed_ends_the_command_quietly_and_successfully(tmp_path, command):
    folder = _results_folder(tmp_path / "r", 50)
    code, _, err = _hypermax([command[0], str(folder), *command[1:]], reader_reads=0)
    assert (code, err) == (0, b"")


def test_export_piped_to_head_ends_with_the_lines_head_took(tmp_path):
    folder = _results_folder(tmp_path / "r", 5000)
    code, got, err = _hypermax(["export", str(folder)], reader_reads=1)
    assert (code, err) == (0, b"")
    assert got.startswith(b"trial,state,loss")


def test_sample_to_a_closed_pipe_is_quiet_in_process(tmp_path, monkeypatch, capsys):
    spec = model_spec(tmp_path, "def train(params):\n    return 0\n", {"method": "random"})
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w") as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        assert main(["sample", str(spec), "-n", "3"]) == 0
        monkeypatch.undo()
    assert capsys.readouterr().err == ""
