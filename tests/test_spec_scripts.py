"""An executable's script that cannot start is a spec error that says why, read from its first
line, before any trial runs (the kernel would say "No such file or directory" of a file that is
there)."""

from __future__ import annotations

import json

import pytest

from hypermax.cli import main

SCRIPTS = [
    (
        b"#!/usr/bin/python9\nprint(1)\n",
        '"./train": its interpreter /usr/bin/python9 (its first line) cannot be found',
    ),
    (
        b"#!/bin/sh\r\necho 1\r\n",
        '"./train": its first line ends in a carriage return (Windows line endings)',
    ),
    (
        b"echo 0.5\n",
        '"./train": it is a script without a first line naming its interpreter (#!/bin/sh)',
    ),
    (
        b"#!/usr/bin/env no-such-python\n",
        '"./train": its interpreter no-such-python (#!/usr/bin/env) is not on PATH',
    ),
    (
        b"\xef\xbb\xbf#!/bin/sh\necho 0.5\n",
        '"./train": its first line starts with a byte-order mark, before #! (save it without one)',
    ),
    (b"#!/bin/sh\necho 0.5\n", None),
    (b"#!/usr/bin/env -S sh -e\necho 0.5\n", None),
    (b"#! /usr/bin/env\tsh\necho 0.5\n", None),
    (
        b"#!/usr/bin/env -S no-such-python -u\n",
        '"./train": its interpreter no-such-python (#!/usr/bin/env) is not on PATH',
    ),
    (
        b"#!/usr/bin/env sh -e\necho 0.5\n",
        '"./train": its first line gives /usr/bin/env "sh -e" as one word (the kernel does not '
        "split it): write #!/usr/bin/env -S sh -e",
    ),
]


@pytest.mark.parametrize(("script", "problem"), SCRIPTS)
def test_a_script_that_cannot_start_is_refused_by_validate(
    tmp_path, monkeypatch, capsys, script, problem
):
    program = tmp_path / "train"
    program.write_bytes(script)
    program.chmod(0o755)
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "executable", "command": ["./train"], "cwd": "."},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "search.json"])
    err = capsys.readouterr().err
    if problem is None:
        assert code == 0, err
    else:
        assert (code, err) == (2, f"search.json: function.command.0: {problem}\n")
