"""A spec edited between runs: resuming says, one line each, what it does with the edits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import X_SPACE, quadratic

from hypermax.cli import main

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here


def _spec(tmp_path, method: str, seed: int):
    path = tmp_path / "search.json"
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "s", "method": method, "iterations": 1, "seed": seed},
        "results": {"directory": str(tmp_path / "results")},
    }
    path.write_text(json.dumps(doc))
    return str(path)


def test_another_method_and_another_seed_on_resume_are_each_said_in_one_line(tmp_path, capsys):
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    assert "search.method" not in capsys.readouterr().err
    assert main([_spec(tmp_path, "tpe", 2), "--no-ui", "--iterations", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "search.json: search.method: tpe asks from now on (it was random), taught the trials done"
        in err
    )
    assert (
        "search.json: search.seed: 2 is not used: a resumed search keeps the seed it started "
        "with (1)"
    ) in err


def test_resume_from_a_frozen_spec_that_is_not_an_object_is_one_line(tmp_path, capsys):
    folder = tmp_path / "results" / "s"
    folder.mkdir(parents=True)
    (folder / "search.json").write_text("[]")
    assert main(["resume", str(folder), "--no-ui"]) == 2
    assert capsys.readouterr().err == f"{folder}/search.json: damaged (not a JSON object)\n"


def test_a_warm_start_added_once_trials_ran_is_said_not_to_be_used(tmp_path, capsys):
    """A search learns from its warm start before its first trial: one named only on resume,
    when trials ran, is not learned from, and the resume says so rather than pass over it."""
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    table = tmp_path / "earlier.csv"
    table.write_text("trial,state,loss,x\n1,ok,0.5,0.25\n")
    path = tmp_path / "search.json"
    doc = json.loads(path.read_text())
    doc["search"]["warm_start"] = "earlier.csv"
    path.write_text(json.dumps(doc))
    assert main([str(path), "--no-ui", "--iterations", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "search.json: search.warm_start: earlier.csv is not used: a search learns from its warm "
        "start before its first trial, and this one has run trials"
    ) in err
    journal = (tmp_path / "results" / "s" / "trials.jsonl").read_text()
    assert "trial_imported" not in journal


def test_early_stopping_edited_on_resume_is_said_in_one_line(tmp_path, capsys):
    """Another early-stopping rule judged the resumed search's reports without a word, and
    the trials the old one stopped stayed stopped: the resume says both."""
    path = tmp_path / "search.json"

    def run(stopping: dict, iterations: int) -> list[str]:
        _spec(tmp_path, "random", 1)
        doc = json.loads(path.read_text())
        doc["search"]["early_stopping"] = stopping
        path.write_text(json.dumps(doc))
        assert main([str(path), "--no-ui", "--iterations", str(iterations)]) == 0
        err = capsys.readouterr().err.splitlines()  # not the notice of min_trials' key
        return [line for line in err if "search.early_stopping: " in line]

    asha = {"policy": "asha", "max_steps": 9}
    assert run({}, 1) == []
    assert run(asha, 2) == [
        "search.json: search.early_stopping: asha judges the reports from now on (it was none), "
        "against those of the trials done"
    ]
    assert run(asha, 3) == []  # the same rule
    # the trials report nothing: none was stopped, and none is said to stay stopped
    assert run({"policy": "asha", "max_steps": 27, "min_trials": 3}, 4) == [
        "search.json: search.early_stopping: asha judges with min_trials 3 (it was 5), "
        "max_steps 27 (it was 9) from now on"
    ]
    assert run({"policy": "median"}, 5) == [
        "search.json: search.early_stopping: median judges the reports from now on (it was "
        "asha), against those of the trials done"
    ]
    assert run({"policy": "none"}, 6) == [
        "search.json: search.early_stopping: none from now on (it was median): no trial is stopped"
    ]
    assert run({}, 7) == []  # none, as before


#: reports its x at step 1: with the median rule and min_trials 2, x 0.9 after 0.1 and 0.2 stops
REPORTS_X = (
    "def train(params, reporter):\n    reporter(1, loss=params['x'])\n    return params['x']\n"
)


def test_the_trials_stopped_before_are_said_to_stay_stopped_after_a_run_without_a_policy(
    tmp_path, capsys
):
    """A run with the median rule stopped a trial, the next ran without early stopping: a
    third, with ASHA, did not say that trial stays stopped (its previous rule, none, stopped
    none), though the first run's rule had."""
    path = tmp_path / "search.json"
    (tmp_path / "model.py").write_text(REPORTS_X)

    def run(stopping: dict, iterations: int) -> list[str]:
        doc = {
            "hyperparameters": X_SPACE,
            "function": {"type": "python_function", "src": "model.py", "name": "train"},
            "search": {
                "name": "s",
                "iterations": iterations,
                "points": [{"x": x} for x in (0.1, 0.2, 0.9)],
                "early_stopping": stopping,
            },
            "results": {"directory": str(tmp_path / "results")},
        }
        path.write_text(json.dumps(doc))
        assert main([str(path), "--no-ui"]) == 0
        err = capsys.readouterr().err.splitlines()
        return [line for line in err if "search.early_stopping: " in line]

    assert run({"policy": "median", "min_trials": 2}, 3) == []
    journal = (tmp_path / "results" / "s" / "trials.jsonl").read_text()
    assert '"state":"stopped"' in journal  # trial 3
    assert run({"policy": "none"}, 4) == [
        "search.json: search.early_stopping: none from now on (it was median): no trial is "
        "stopped; the trials stopped before stay stopped"
    ]
    assert run({"policy": "asha", "max_steps": 9}, 5) == [
        "search.json: search.early_stopping: asha judges the reports from now on (it was none), "
        "against those of the trials done; the trials stopped before stay stopped"
    ]


def test_a_method_edited_in_the_frozen_spec_is_said_on_resume(tmp_path, capsys):
    """``hypermax resume`` reads the frozen spec, which each run writes anew: an edit of its
    method was compared with itself and went unsaid; it is compared with what the search last
    ran with, and named in the file edited."""
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    folder = tmp_path / "results" / "s"
    frozen = folder / "search.json"
    doc = json.loads(frozen.read_text())
    doc["search"].update(method="tpe", seed=7)
    frozen.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    shown = "results/s/search.json"  # the file edited, from the current folder
    assert (
        f"{shown}: search.method: tpe asks from now on (it was random), taught the trials done"
    ) in err
    assert (
        f"{shown}: search.seed: 7 is not used: a resumed search keeps the seed it started with (1)"
    ) in err
    assert main(["resume", str(folder), "--no-ui", "--iterations", "3"]) == 0
    assert "search.method" not in capsys.readouterr().err  # said once: tpe ran since


def test_a_name_edited_in_the_frozen_spec_is_said_and_the_search_keeps_its_own(tmp_path, capsys):
    """``hypermax resume`` of a frozen spec whose ``search.name`` was edited showed the search
    under the new name, its folder, journal and every line before under the old one."""
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    folder = tmp_path / "results" / "s"
    frozen = folder / "search.json"
    doc = json.loads(frozen.read_text())
    doc["search"]["name"] = "renamed"
    frozen.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 0
    out, err = capsys.readouterr()
    assert (
        f"{frozen}: search.name: renamed is not used: a resumed search keeps the name it started"
        " with (s)"
    ) in err.splitlines()
    assert "resuming s: 1 of 2 trials done" in out and "renamed" not in out
    assert json.loads(frozen.read_text())["search"]["name"] == "s"
    assert main(["resume", str(folder), "--no-ui", "--iterations", "3"]) == 0
    assert "search.name" not in capsys.readouterr().err  # said once: the frozen spec has it back
    other = tmp_path / "other.json"  # a spec of another name run on the folder: the same
    other.write_text(json.dumps({**doc, "search": {**doc["search"], "name": "other"}}))
    assert main([str(other), str(folder), "--no-ui", "--iterations", "4"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == (
        "other.json: search.name: other is not used: a resumed search keeps the name it started"
        " with (s)"
    )
    assert "resuming s: 3 of 4 trials done" in out and "other" not in out


def test_a_space_edited_in_the_frozen_spec_is_refused_naming_that_file_and_path(tmp_path, capsys):
    """``hypermax resume`` of a frozen spec whose space was edited named no path (the frozen
    spec was compared with itself) and told to use --fresh, which resume does not take."""
    spec = _spec(tmp_path, "random", 1)
    assert main([spec, "--no-ui"]) == 0
    folder = tmp_path / "results" / "s"
    frozen = folder / "search.json"
    doc = json.loads(frozen.read_text())
    was = json.loads(json.dumps(doc))
    doc["hyperparameters"]["properties"]["x"]["max"] = 2
    frozen.write_text(json.dumps(doc))
    capsys.readouterr()
    learn = f'("search": {{"warm_start": "{folder}"}} there learns from this one\'s trials)'
    refused = (
        f"{frozen}: hyperparameters.properties.x.max differs from the search that {folder} "
        "holds (a resume keeps its space, function and loss): undo that edit to resume it, or "
        f"copy the spec out of the folder for a search of its own {learn}"
    )
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 2
    assert capsys.readouterr().err == refused + "\n"
    frozen.write_text(json.dumps({**was, "function": {**was["function"], "auto_kill_max_time": 9}}))
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 2
    assert capsys.readouterr().err == (  # a limit raised: why it makes another search too
        f"{frozen}: function.auto_kill_max_time differs from the search that {folder} holds (a"
        " resume keeps its space, function and loss; a limit decides which trials it kills, and"
        f" their loss): undo that edit to resume it, or copy the spec out of the folder for a"
        f" search of its own {learn}\n"
    )
    frozen.write_text(json.dumps(doc))
    (tmp_path / "search.json").unlink()  # the spec it came from is gone: no path to name
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 2
    assert capsys.readouterr().err == (
        f"{frozen}: its space, function or loss differs from the search that {folder} holds (a "
        "resume keeps them): undo that edit to resume it, or copy the spec out of the folder for "
        f"a search of its own {learn}\n"
    )


def test_the_options_of_the_method_edited_on_resume_are_said_in_one_line(tmp_path, capsys):
    """Another ``search.tpe`` asked the resumed search's trials without a word, as another
    method would have been said to."""
    path = tmp_path / "search.json"

    def run(options: dict | None, iterations: int) -> list[str]:
        _spec(tmp_path, "tpe", 1)
        doc = json.loads(path.read_text())
        if options is not None:
            doc["search"]["tpe"] = options
        path.write_text(json.dumps(doc))
        assert main([str(path), "--no-ui", "--iterations", str(iterations)]) == 0
        return [line for line in capsys.readouterr().err.splitlines() if "search.tpe" in line]

    assert run({"n_startup_jobs": 10}, 1) == []
    assert run({"n_startup_jobs": 10}, 2) == []
    assert run({"n_startup_jobs": 2, "gamma": 0.5}, 3) == [
        "search.json: search.tpe: gamma 0.5 (it was the default), n_startup_jobs 2 (it was 10) "
        "from now on"
    ]
    assert run(None, 4) == [
        "search.json: search.tpe: gamma the default (it was 0.5), n_startup_jobs the default (it "
        "was 2) from now on"
    ]


def test_a_resume_with_fewer_iterations_left_than_unfinished_trials_says_how_many_run(
    tmp_path, capsys
):
    """Two trials unfinished and one iteration left: the resume said both run again, and ran
    one (the other stays in the journal, to run on a resume with more iterations)."""
    spec = _spec(tmp_path, "random", 1)
    assert main([spec, "--no-ui", "--iterations", "4"]) == 0
    journal = tmp_path / "results" / "s" / "trials.jsonl"
    kept = [  # hypermax killed while trials 3 and 4 ran: their ends never written
        line
        for line in journal.read_text().splitlines()
        if not ('"trial_finished"' in line and json.loads(line)["id"] in (3, 4))
    ]
    journal.write_text("\n".join(kept) + "\n")
    capsys.readouterr()
    assert main([spec, "--no-ui", "--iterations", "3"]) == 0
    out = capsys.readouterr().out
    assert "resuming s: 2 of 3 trials done, 1 unfinished runs again\n" in out
    assert main([spec, "--no-ui", "--iterations", "4"]) == 0
    assert "resuming s: 3 of 4 trials done, 1 unfinished runs again\n" in capsys.readouterr().out


def test_an_objective_file_edited_since_the_search_last_ran_is_said_on_resume(tmp_path, capsys):
    """A bug fixed in the objective's file resumed the search without a word, its trials so
    far of the earlier code beside the new ones (``hypermax.optimize`` says so of a callable
    edited); the resume says it, once, of a ``src`` and of a ``module`` beside the spec."""
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x']\n")
    path = tmp_path / "search.json"

    def run(function: dict, iterations: int) -> list[str]:
        _spec(tmp_path, "random", 1)
        doc = json.loads(path.read_text())
        doc["function"] = {"type": "python_function", "name": "train", **function}
        doc["search"]["name"] = "".join(function)
        path.write_text(json.dumps(doc))
        assert main([str(path), "--no-ui", "--iterations", str(iterations)]) == 0
        return [line for line in capsys.readouterr().err.splitlines() if "function." in line]

    src = {"src": "model.py"}
    assert run(src, 1) == []
    assert run(src, 2) == []  # the same code
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x'] + 10\n")
    assert run(src, 3) == [
        "search.json: function.src: model.py changed since the search last ran: its trials "
        "before ran the earlier code (--fresh starts anew)"
    ]
    assert run(src, 4) == []  # said once
    module = {"module": "model"}
    assert run(module, 1) == []
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x'] + 20\n")
    assert run(module, 2) == [
        "search.json: function.module: model.py changed since the search last ran: its trials "
        "before ran the earlier code (--fresh starts anew)"
    ]


def test_the_script_of_an_executable_edited_since_the_search_last_ran_is_said_on_resume(
    tmp_path, capsys
):
    """A ``src`` or a ``module`` edited was said on resume, the script an executable runs
    (``python train.py``, ``./train.sh``) not: its trials so far ran the earlier script."""
    (tmp_path / "train.py").write_text("print('{\"loss\": 1}')\n")
    (tmp_path / "train.sh").write_text("#!/bin/sh\necho '{\"loss\": 1}'\n")
    (tmp_path / "train.sh").chmod(0o755)
    path = tmp_path / "search.json"

    def run(name: str, command: list[str], iterations: int) -> list[str]:
        _spec(tmp_path, "random", 1)
        doc = json.loads(path.read_text())
        doc["function"] = {"type": "executable", "command": command}
        if name == "py":  # ./train.sh is named from the spec's folder, without a cwd too
            doc["function"]["cwd"] = "."
        doc["search"]["name"] = name
        path.write_text(json.dumps(doc))
        assert main([str(path), "--no-ui", "--iterations", str(iterations)]) == 0
        return [line for line in capsys.readouterr().err.splitlines() if "function." in line]

    python = [sys.executable, "-u", "train.py", "--x", "{x}"]
    assert run("py", python, 1) == []
    assert run("py", python, 2) == []  # the same script
    (tmp_path / "train.py").write_text("print('{\"loss\": 2}')\n")
    assert run("py", python, 3) == [
        "search.json: function.command: train.py changed since the search last ran: its trials "
        "before ran the earlier code (--fresh starts anew)"
    ]
    assert run("py", python, 4) == []  # said once
    assert run("sh", ["./train.sh"], 1) == []
    (tmp_path / "train.sh").write_text("#!/bin/sh\necho '{\"loss\": 2}'\n")
    assert run("sh", ["./train.sh"], 2) == [
        "search.json: function.command: train.sh changed since the search last ran: its trials "
        "before ran the earlier code (--fresh starts anew)"
    ]


def test_validate_reads_a_frozen_spec_as_resume_does(tmp_path, capsys):
    """A frozen spec's relative paths start from the spec it came from, as ``hypermax resume``
    reads them: ``validate`` of the frozen spec, edited, looked for its ``src`` in the results
    folder (``cannot find file "model.py"``)."""
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x']\n")
    path = tmp_path / "search.json"
    _spec(tmp_path, "random", 1)
    doc = json.loads(path.read_text())
    doc["function"] = {"type": "python_function", "src": "model.py", "name": "train"}
    path.write_text(json.dumps(doc))
    assert main([str(path), "--no-ui"]) == 0
    frozen = tmp_path / "results" / "s" / "search.json"
    capsys.readouterr()
    assert main(["validate", str(frozen)]) == 0
    assert capsys.readouterr().out.startswith("results/s/search.json: ok (")
    edited = json.loads(frozen.read_text())
    edited["function"]["parallel"] = "two"
    frozen.write_text(json.dumps(edited))
    assert main(["validate", str(frozen)]) == 2
    assert "search.json: function.parallel: must be an integer" in capsys.readouterr().err


def test_a_copy_of_the_frozen_spec_run_as_a_spec_is_named_as_itself(tmp_path, capsys):
    """The frozen spec copied out of its folder, as the refusal of an edit there says to do,
    and run: its edits were named in the folder's frozen spec, and a refusal told to copy the
    spec out of the folder again; the copy is a spec of its own."""
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    folder = tmp_path / "results" / "s"
    copy = tmp_path / "copy.json"
    doc = json.loads((folder / "search.json").read_text())
    doc["search"]["method"] = "tpe"
    copy.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main([str(copy), "--no-ui", "--iterations", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "copy.json: search.method: tpe asks from now on (it was random), taught the trials done"
        in err
    )
    doc["hyperparameters"]["properties"]["x"]["max"] = 2
    copy.write_text(json.dumps(doc))
    assert main([str(copy), "--no-ui", "--iterations", "3"]) == 2
    assert capsys.readouterr().err.startswith(
        f"{folder}: holds a search with another space, function or loss"
        " (hyperparameters.properties.x.max differs); use --fresh to start anew"
    )


def test_a_seed_a_resume_does_not_use_is_not_frozen_as_the_seed_of_the_search(tmp_path, capsys):
    """``hypermax run search.json --seed 5`` on a search that started with seed 1 said that 5
    was not used, then froze 5 into the results folder's spec: every later ``hypermax resume``
    said ``search.seed: 5 is not used`` of a seed nobody gave it. The frozen spec holds the
    seed the search keeps."""
    spec = _spec(tmp_path, "random", 1)
    assert main([spec, "--no-ui"]) == 0
    assert main([spec, "--no-ui", "--seed", "5", "--iterations", "2"]) == 0
    folder = tmp_path / "results" / "s"
    frozen = json.loads((folder / "search.json").read_text())
    assert frozen["search"]["seed"] == 1
    capsys.readouterr()
    assert main(["resume", str(folder), "--no-ui", "--iterations", "3"]) == 0
    assert "seed" not in capsys.readouterr().err


def test_a_seed_or_iterations_an_option_gave_are_named_by_the_option_on_resume(tmp_path, capsys):
    """``hypermax run search.json --seed 5`` on a search that keeps its seed 1 said
    ``search.json: search.seed: 5 is not used``, sending the user to a spec that gives no seed
    (or another one); and a grid given ``--iterations`` past its plan named
    ``search.iterations`` of the spec, or of the frozen spec on ``resume``. Each names the
    option."""
    spec = _spec(tmp_path, "random", 1)
    assert main([spec, "--no-ui"]) == 0
    capsys.readouterr()
    assert main([spec, "--no-ui", "--seed", "5", "--iterations", "2"]) == 0
    said = "5 is not used: a resumed search keeps the seed it started with (1)"
    assert f"hypermax run: --seed: {said}" in capsys.readouterr().err.splitlines()
    doc = json.loads(Path(spec).read_text())
    doc["hyperparameters"] = {"type": "object", "properties": {"x": {"enum": [0.1, 0.2]}}}
    doc["search"] = {"name": "g", "method": "grid"}
    Path(spec).write_text(json.dumps(doc))
    assert main([spec, "--no-ui", "--iterations", "5"]) == 0
    plan = "but the grid has 2 points: only 2 trials will run"
    assert f"hypermax run: --iterations: 5, {plan}" in capsys.readouterr().err.splitlines()
    folder = str(tmp_path / "results" / "g")
    assert main(["resume", folder, "--no-ui", "--iterations", "6"]) == 0
    assert f"hypermax resume: --iterations: 6, {plan}" in capsys.readouterr().err.splitlines()
