"""What a newcomer meets first: help for every option, elapsed time and an ETA on the console,
``show`` of one trial whole or a longer table, tenths of a second for short trials."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from conftest import OBJECTIVES, run_cli_here

from hypermax.cli import build_parser
from hypermax.trial import Trial, TrialState
from hypermax.ui.formatting import format_trial_time
from hypermax.ui.trials import trial_markup


def _actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        found.append((parser.prog, action))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _actions(sub)
    return found


def test_every_option_and_argument_has_help() -> None:
    actions = _actions(build_parser())
    progs = {prog for prog, _ in actions}
    assert {"hypermax run", "hypermax show", "hypermax validate", "hypermax resume"} < progs
    missing = [
        f"{prog} {'/'.join(a.option_strings) or a.dest}"
        for prog, a in actions
        if not a.help or a.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_help_of_run_lists_its_options_with_their_help() -> None:
    proc = run_cli_here("run", "--help", cwd=Path.cwd())
    assert proc.returncode == 0
    assert re.search(r"--iterations N\s+trials in all, finished ones included", proc.stdout)
    assert re.search(r"--seed SEED\s+the optimizer's seed", proc.stdout)


def test_help_of_the_commands_that_read_a_results_folder_says_a_spec_will_do() -> None:
    """``show``, ``export``, ``plot`` and ``resume`` take a search's spec for its results folder,
    as the README says; their help said only "the results folder of a search"."""
    for command in ("show", "export", "plot", "resume"):
        proc = run_cli_here(command, "--help", cwd=Path.cwd())
        assert re.search(r"results_dir\s+the results folder of .*\(or its spec\)", proc.stdout)


def _search(folder: Path, iterations: int) -> Path:
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 4}},
        },
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "quadratic.py"),
            "name": "train",
        },
        "search": {"name": "quad", "iterations": iterations, "seed": 2},
        "results": {"directory": str(folder / "results")},
    }
    path = folder / "search.json"
    path.write_text(json.dumps(doc))
    return path


def test_each_console_line_shows_elapsed_time_and_an_eta(tmp_path: Path) -> None:
    proc = run_cli_here(str(_search(tmp_path, 3)), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 3
    pace = r"  elapsed \d+s(  ETA \d+s)?$"
    assert all(re.search(pace, line) for line in lines), lines
    assert [" ETA " in line for line in lines] == [True, True, False]  # none left: no ETA


def test_show_one_trial_whole_and_a_longer_table(tmp_path: Path) -> None:
    assert run_cli_here(str(_search(tmp_path, 14)), "--no-ui", cwd=tmp_path).returncode == 0
    folder = tmp_path / "results" / "quad"
    table = run_cli_here("show", str(folder), cwd=tmp_path).stdout.splitlines()
    assert table[-1] == "... 4 more with a loss (--top N shows more)"
    longer = run_cli_here("show", str(folder), "--top", "14", cwd=tmp_path).stdout.splitlines()
    assert longer[:13] == table[:13] and len(longer) == 3 + 14  # every trial, no "more" line
    record = next(
        json.loads(line)
        for line in (folder / "trials.jsonl").read_text().splitlines()
        if '"trial_finished","id":3,' in line
    )
    shown = run_cli_here("show", str(folder), "--trial", "3", cwd=tmp_path).stdout.splitlines()
    assert shown[0].startswith("trial 3: ok")
    assert f"  loss        {record['loss']!r}" in shown
    params = json.loads((folder / "trials" / "3" / "received.json").read_text())["params"]
    assert f"  x  {json.dumps(params['x'])}" in shown  # the exact value
    at = shown.index("metrics:")
    assert shown[at + 1] == f"  loss  {json.dumps(record['metrics']['loss'])}"
    assert "  exit code   0" in shown and "loss terms:" in shown
    assert "metadata:" in shown and "  extra  kept" in shown
    assert any(line.startswith("  peak RSS  ") for line in shown)
    assert shown[-1] == f"log: {folder / 'logs' / 'trial_3.log'}"
    missing = run_cli_here("show", str(folder), "--trial", "99", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == f"{folder}: has no trial 99 (trials 1 to 14)\n"


def test_short_trials_show_tenths_of_a_second() -> None:
    assert [format_trial_time(s) for s in (0.04, 0.4, 12.34, 59.9, 61, None)] == [
        "0.0s",
        "0.4s",
        "12.3s",
        "59.9s",
        "1m01s",
        "-",
    ]
    row = trial_markup(Trial(7, {"x": 1}, {}, state=TrialState.OK, loss=0.5, time=0.43))
    text = "".join(part[1] if isinstance(part, tuple) else part for part in row)
    assert "   0.4s  " in text


def test_the_console_eta_ends_at_the_search_timeout() -> None:
    import io

    from hypermax import events as ev
    from hypermax.trial import Trial, TrialState
    from hypermax.ui.console import ConsoleReporter

    now = [0.0]
    out = io.StringIO()
    console = ConsoleReporter(out, clock=lambda: now[0])
    console.handle(ev.SearchStarted("quad", "tpe", 100, 1, Path("r"), timeout=1000.0))
    now[0] = 100.0  # a trial in 100 s: 99 left would take 9,900 s, but the search ends at 1,000
    console.handle(ev.TrialFinished(Trial(1, {}, {}, TrialState.OK, loss=1.0, time=100.0), None, 1))
    assert out.getvalue().rstrip().endswith("elapsed 1m40s  ETA 15m00s")


def test_the_console_elapsed_and_eta_leave_out_the_time_paused() -> None:
    import io

    from hypermax import events as ev
    from hypermax.trial import Trial, TrialState
    from hypermax.ui.console import ConsoleReporter

    now = [0.0]
    out = io.StringIO()
    console = ConsoleReporter(out, clock=lambda: now[0])
    console.handle(ev.SearchStarted("quad", "tpe", 100, 1, Path("r"), timeout=1000.0))
    now[0] = 50.0
    console.handle(ev.Paused(True))
    now[0] = 3650.0  # paused for an hour: the search's clock, and its timeout's, stood still
    console.handle(ev.Paused(False))
    now[0] = 3700.0
    console.handle(ev.TrialFinished(Trial(1, {}, {}, TrialState.OK, loss=1.0, time=100.0), None, 1))
    assert out.getvalue().rstrip().endswith("elapsed 1m40s  ETA 15m00s")
