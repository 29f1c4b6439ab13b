"""End-to-end runs through the real command line: python_function and executable trials."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import (
    OBJECTIVES,
    finished_records,
    journal_records,
    quadratic,
    run_cli,
    run_cli_here,
)

SPACE = {
    "type": "object",
    "properties": {"x": {"type": "number", "min": -4, "max": 4}, "y": {"enum": [0, 1, 2]}},
}


def _assert_views_agree(folder: Path, iterations: int) -> dict[int, dict]:
    finished = finished_records(folder)
    started = [r for r in journal_records(folder) if r["event"] == "trial_started"]
    assert len(started) == iterations
    assert sorted(finished) == sorted(r["id"] for r in started)
    rows = list(csv.DictReader((folder / "results.csv").open()))
    assert [int(r["trial"]) for r in rows] == sorted(finished)
    for row in rows:
        assert float(row["loss"]) == finished[int(row["trial"])]["loss"]
    best = json.loads((folder / "best.json").read_text())
    best_id = min(finished, key=lambda i: (finished[i]["loss"], i))
    assert best["trial"] == best_id
    assert best["loss"] == finished[best_id]["loss"]
    return finished


def test_python_function_search_with_two_parallel_trials(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("train", parallel=2),
            "search": {"name": "quad", "iterations": 8, "seed": 5},
        }
    )
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "quad"
    finished = _assert_views_agree(folder, 8)
    lines = proc.stdout.splitlines()
    assert lines[0] == f"hypermax: quad: tpe, 8 trials, parallel 2, results in {folder}"
    assert [line.split()[1:3] for line in lines[1:9]] == [[f"{n}/8", "trial"] for n in range(1, 9)]
    best = min(finished.values(), key=lambda r: (r["loss"], r["id"]))
    assert lines[9] == "hypermax: search ended (iterations done); 8 trials done"
    assert lines[10].startswith(f"best loss {best['loss']:.6g} (trial {best['id']}): x=")
    assert all(r["state"] == "ok" for r in finished.values())
    assert all(r["metadata"] == {"extra": "kept"} for r in finished.values())
    assert (folder / "trials" / "1" / "received.json").exists()
    assert json.loads((folder / "search.json").read_text())["search"]["iterations"] == 8


def test_executable_search_reads_params_three_ways(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": {
                "type": "executable",
                "command": [sys.executable, str(OBJECTIVES / "quadratic_exe.py"), "{x}", "{y}"],
                "parallel": 2,
            },
            "search": {"name": "exe", "iterations": 6, "seed": 2},
        }
    )
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "exe"
    finished = _assert_views_agree(folder, 6)
    assert all(r["state"] == "ok" and r["metadata"] == {"note": "exe"} for r in finished.values())
    records = journal_records(folder)
    reports = [r for r in records if r["event"] == "trial_reported"]
    assert len(reports) == 6 and all(r["metrics"] == {"loss": 9.0} for r in reports)
    started = {r["id"]: r["params"] for r in records if r["event"] == "trial_started"}
    seen = json.loads((folder / "trials" / "3" / "argv.json").read_text())
    assert seen["argv"] == [json.dumps(started[3]["x"]), str(started[3]["y"])]
    assert (folder / "logs" / "trial_3.log").read_text().startswith("starting a trial")


def test_parallel_trials_really_overlap(tmp_path, write_spec):
    """Each trial waits until another has started too: this finishes only if two run at once."""
    (tmp_path / "meet.py").write_text(
        "import os, time, pathlib\n"
        "def train(params):\n"
        "    here = pathlib.Path(os.environ['MEET_DIR'])\n"
        "    (here / os.environ['HYPERMAX_TRIAL_ID']).touch()\n"
        "    deadline = time.monotonic() + 20\n"
        "    while len(list(here.iterdir())) < 2 and time.monotonic() < deadline:\n"
        "        time.sleep(0.01)\n"
        "    return 0.0 if len(list(here.iterdir())) >= 2 else 1.0\n"
    )
    meet = tmp_path / "meet"
    meet.mkdir()
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": {
                "type": "python_function",
                "module": "meet",
                "name": "train",
                "parallel": 2,
                "env": {"MEET_DIR": str(meet)},
            },
            "search": {"name": "meet", "iterations": 2},
        }
    )
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [r["loss"] for r in finished_records(tmp_path / "results" / "meet").values()] == [
        0.0,
        0.0,
    ]


def test_show_and_export_read_the_results(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("train"),
            "search": {"name": "views", "iterations": 4, "seed": 1},
        }
    )
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    folder = tmp_path / "results" / "views"
    finished = finished_records(folder)
    best_id = min(finished, key=lambda i: finished[i]["loss"])
    show = run_cli_here("show", str(folder), cwd=tmp_path)
    assert show.returncode == 0
    assert f"(trial {best_id})" in show.stdout and "4 trials (4 ok)" in show.stdout
    exported = run_cli_here("export", str(folder), "--format", "json", "--best", cwd=tmp_path)
    assert [t["trial"] for t in json.loads(exported.stdout)["trials"]] == [best_id]
    exported_csv = run_cli_here("export", str(folder), cwd=tmp_path).stdout
    rows = list(csv.DictReader(exported_csv.splitlines()))
    assert len(rows) == 4 and {"trial", "state", "loss", "x", "y"} <= set(rows[0])

    # a reader that goes away at once (`hypermax export ... | head -0`): quiet, and done
    proc = subprocess.Popen(
        [sys.executable, "-m", "hypermax", "export", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()
    assert proc.stderr.read() == ""
    assert proc.wait(timeout=30) == 0


def test_a_trial_reports_progress_with_hypermax_report(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("reporting"),
            "search": {"name": "reports", "iterations": 1},
        }
    )
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    reports = [
        r
        for r in journal_records(tmp_path / "results" / "reports")
        if r["event"] == "trial_reported"
    ]
    assert [(r["step"], r["metrics"]) for r in reports] == [
        (0, {"loss": 10.0}),
        (1, {"loss": 9.0}),
        (2, {"loss": 8.0}),
    ]


def test_a_killed_trial_records_what_crossed_which_limit(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic(
                "sleepy", auto_kill_max_time=0.5, kill_grace=0.2, auto_kill_loss=3.0
            ),
            "search": {"name": "killed", "iterations": 1},
        }
    )
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0
    assert "killed: tpe, 1 trial, parallel 1" in proc.stdout
    assert "search ended (iterations done); 1 trial done" in proc.stdout
    record = finished_records(tmp_path / "results" / "killed")[1]
    assert (record["state"], record["kill_reason"], record["loss"]) == ("killed", "time", 3.0)
    assert 0.5 <= record["kill_value"] < 1.5
    assert record["reason"].startswith("time limit")


BROKEN_OPTIMIZER = """
from hypermax.optimizers.hyperopt_based import RandomOptimizer


class FailsOnThirdAsk(RandomOptimizer):
    def ask(self, trial_id):
        if trial_id >= 3:
            raise RuntimeError("the model diverged\\nsecond line")
        return super().ask(trial_id)
"""


def test_an_optimizer_that_breaks_ends_the_search_with_one_line(tmp_path, write_spec):
    """A bug in a plugin (or in hypermax) is one line and exit 1; the journal stays whole."""
    (tmp_path / "my_optimizers.py").write_text(BROKEN_OPTIMIZER)
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("train"),
            "search": {
                "name": "broken",
                "iterations": 5,
                "method": "my_optimizers:FailsOnThirdAsk",
            },
        }
    )
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    log = tmp_path / "results" / "broken" / "logs" / "hypermax.log"
    assert result.stderr.splitlines()[-1] == (
        f"hypermax: unexpected error: RuntimeError: the model diverged (traceback in {log})"
    )
    saved = log.read_text()
    assert "Traceback (most recent call last)" in saved and "in ask" in saved
    assert "RuntimeError: the model diverged\nsecond line" in saved
    finished = finished_records(tmp_path / "results" / "broken")
    assert sorted(finished) == [1, 2] and {r["state"] for r in finished.values()} == {"ok"}

    debug = run_cli(str(spec), "--no-ui", "--debug", cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "RuntimeError: the model diverged" in debug.stderr
    assert log.read_text().count("Traceback (most recent call last)") == 2


def test_an_unforeseen_error_outside_a_search_leaves_its_traceback_in_the_temp_folder(
    tmp_path, write_spec
):
    (tmp_path / "my_optimizers.py").write_text(BROKEN_OPTIMIZER)
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("train"),
            "search": {"name": "broken", "method": "my_optimizers:FailsOnThirdAsk"},
        }
    )
    result = run_cli("sample", str(spec), "-n", "5", cwd=tmp_path, env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 1 and len(result.stdout.splitlines()) == 2
    line = result.stderr.strip()
    prefix = "hypermax: unexpected error: RuntimeError: the model diverged (traceback in "
    assert line.startswith(prefix) and line.endswith(")")
    log = Path(line[len(prefix) : -1])
    assert log.parent == tmp_path and log.name.startswith("hypermax-")
    assert "Traceback (most recent call last)" in log.read_text()


def test_a_relative_program_is_found_from_the_spec_folder_and_runs_in_the_trial_folder(
    tmp_path, write_spec
):
    script = tmp_path / "bin" / "train.sh"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\necho "$1" > argument.txt\necho 0.25\n')
    script.chmod(0o755)
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": {"type": "executable", "command": "bin/train.sh {y}"},
            "search": {"name": "script", "iterations": 2},
        }
    )
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path / "bin")
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "script"
    finished = finished_records(folder)
    assert [(r["state"], r["loss"]) for r in finished.values()] == [("ok", 0.25)] * 2
    started = {
        r["id"]: r["params"] for r in journal_records(folder) if r["event"] == "trial_started"
    }
    assert (folder / "trials" / "2" / "argument.txt").read_text() == f"{started[2]['y']}\n"


def test_a_python_warning_while_a_search_runs_goes_to_its_log(tmp_path):
    import warnings

    from hypermax.search_log import log_to_file

    log = tmp_path / "logs" / "hypermax.log"
    log.parent.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        shown = warnings.showwarning
        with log_to_file(log):
            warnings.warn("overflow encountered in square", RuntimeWarning, stacklevel=1)
        assert warnings.showwarning is shown  # Python's own way again after the search
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    assert re.search(
        r" WARNING RuntimeWarning: overflow encountered in square \(tests/test_run\.py:\d+\)$",
        lines[0],
    )


def test_hypermax_log_whose_folder_was_deleted_is_made_again_or_dropped(tmp_path, capsys):
    import logging
    import shutil

    from hypermax.search_log import log_to_file

    log = tmp_path / "s" / "logs" / "hypermax.log"
    log.parent.mkdir(parents=True)
    with log_to_file(log):
        shutil.rmtree(log.parent)  # deleted while the search ran, before its first record
        logging.getLogger("hypermax").warning("logs deleted")
    assert log.read_text().endswith(" WARNING logs deleted\n")
    with log_to_file(tmp_path / "gone" / "logs" / "hypermax.log"):  # the results folder too
        logging.getLogger("hypermax").warning("folder deleted")  # dropped
    assert capsys.readouterr().err == ""
