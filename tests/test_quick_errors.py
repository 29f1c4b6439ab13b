"""A quick command line's mistakes are named by its own options and words, not by the JSON
paths of the spec it stands for, and nothing runs."""

from __future__ import annotations

import pytest

from hypermax.cli import main


@pytest.mark.parametrize(
    ("options", "command", "error"),
    [
        (["--iterations", "0"], ["true", "{lr}"], "--iterations: must be at least 1, got 0"),
        (["--parallel", "0"], ["true", "{lr}"], "--parallel: must be at least 1, got 0"),
        (["--name", "a/b"], ["true"], "--name: must be usable as a folder name"),
        (["--results", ""], ["true"], "--results: must not be empty"),
        (["--seed", "-1"], ["true"], "--seed: must be at least 0, got -1"),
        ([], ["true", "--lr", "{lrr}"], "the command: {lrr} names no param (did you mean {lr}?)"),
        ([], ["no-such-program", "{lr}"], 'the command: cannot find program "no-such-program"'),
    ],
)
def test_a_quick_mistake_is_named_as_the_command_line_gives_it(
    tmp_path, monkeypatch, capsys, options, command, error
):
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "lr=0:1", "--metric", "acc", *options, "--", *command]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(f"hypermax quick: {error}")
    assert not (tmp_path / "results").exists()
