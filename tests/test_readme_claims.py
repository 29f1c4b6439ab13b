"""What the README states, held to what hypermax does: examples, field lists, messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_row(first_cell: str) -> str:
    return next(line for line in README.splitlines() if line.startswith(f"| {first_cell} |"))


def test_the_spec_at_the_top_is_the_example_search_that_ships():
    block = re.search(r"```json\n(\{\n  \"hyperparameters\".*?)\n```", README, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == json.loads((ROOT / "search.example.json").read_text())


def test_the_journal_table_names_every_field_of_a_finished_trial():
    from hypermax.journal import finished_record
    from hypermax.trial import Trial, TrialState

    trial = Trial(id=1, params={}, internal={}, state=TrialState.OK, loss=0.5)
    row = _table_row("`trial_finished`")
    named = set(re.findall(r"`(\w+)`", row))
    assert set(finished_record(trial)) - {"event"} <= named


def test_the_command_line_section_names_every_option_of_every_command():
    from hypermax.cli import build_parser

    block = README.split("## Command line\n\n```\n", 1)[1].split("```", 1)[0]
    usage = {}
    for line in block.splitlines():
        if line.startswith("hypermax "):
            command = line.split()[1]
            usage[command] = line
        elif line.startswith(" ") and usage:
            usage[command] += line
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        flags = {o for a in sub._actions for o in a.option_strings if o.startswith("-")}
        flags -= {"-h", "--help"}
        missing = {f for f in flags if not re.search(rf"[\[ ]{re.escape(f)}[\] ]", usage[name])}
        assert not missing, f"hypermax {name}: {sorted(missing)}"


def test_validate_checks_the_cluster_that_scheduler_names(tmp_path, write_spec):
    # README, "Running on a Dask cluster": `hypermax validate search.json --connect` is run on a
    # spec whose cluster is given as `--scheduler` to the run, as `run` and `resume` take it
    from conftest import X_SPACE, quadratic, run_cli_here

    spec = write_spec({"hyperparameters": X_SPACE, "function": quadratic()})
    done = run_cli_here("validate", str(spec), "--scheduler", "tcp://nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        'hypermax validate: --scheduler: needs a port, as in "tcp://nowhere:8786", '
        'got "tcp://nowhere"\n'
    )


def test_a_file_the_result_names_twice_is_one_attachment(tmp_path):
    # README, "result of a trial": a string that names a file inside the trial folder is kept
    from hypermax.execution.outcome import attachments

    (tmp_path / "plot.png").write_bytes(b"png")
    result = {"loss": 1.0, "plot": str(tmp_path / "plot.png"), "same": "plot.png", "no": "x.png"}
    assert attachments(tmp_path, result) == ("plot.png",)


def test_a_value_an_option_gives_is_named_by_the_option_as_run_names_it(tmp_path, write_spec):
    # README, "Command line": `hypermax run: --parallel: must be at least 1, got 0`; show's
    # --top and sample's -n said "--top must be at least 1", without the colon or the value
    from conftest import X_SPACE, quadratic, run_cli_here

    spec = str(write_spec({"hyperparameters": X_SPACE, "function": quadratic()}))
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "trials.jsonl").touch()
    lines = {
        ("run", spec, "--parallel", "0"): "hypermax run: --parallel: must be at least 1, got 0",
        ("show", "r", "--top", "0"): "hypermax show: --top: must be at least 1, got 0",
        ("sample", spec, "-n", "0"): "hypermax sample: -n: must be at least 1, got 0",
    }
    for args, line in lines.items():
        done = run_cli_here(*args, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, line + "\n")


def test_the_dashboard_screen_is_the_captured_one_and_writes_trial_times_as_the_table_does():
    # README, the dashboard at 80x24: the screen docs/screenshots/capture.sh wrote, whose trials
    # table gives each trial's time as the dashboard does (it showed "3s" where it writes "2.7s")
    from hypermax.ui.formatting import format_trial_time

    screen = README.split("At 80x24", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    assert screen == (ROOT / "docs" / "dashboard-80x24.txt").read_text(encoding="utf-8")
    times = re.findall(r"│ +\d+ +[\d.e+-]+ (?:ok|failed|killed|stopped\S*) +(\S+)  ", screen)
    assert times
    for shown in times:
        assert format_trial_time(float(shown.removesuffix("s"))) == shown
