"""What happens to a callable objective on its way to the trial processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from fake_trials.helpers import finished

import hypermax


class _Model:
    """Holds a lock, as objects that serve threads do: it cannot be pickled."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def fit(self, params):
        return params["x"] ** 2


def fit(params):
    return params["x"] ** 2


def test_an_objective_that_cannot_be_pickled_is_a_type_error_before_anything_runs(tmp_path):
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(
            _Model().fit, space={"x": "-2:2"}, iterations=1, name="m", results_dir=tmp_path
        )
    message = str(raised.value)
    assert message.startswith("optimize(): the objective cannot be sent to the trial processes")
    assert "cannot pickle '_thread.lock' object" in message
    assert not (tmp_path / "m").exists()
    # the error is kept (as a notebook keeps the last one): the folder is free all the same
    kept = raised.value  # noqa: F841
    result = hypermax.optimize(
        fit, space={"x": "-2:2"}, iterations=1, name="m", results_dir=tmp_path
    )
    assert [t["state"] for t in result.trials] == ["ok"]


PRELOADED = textwrap.dedent(
    """
    import hypermax
    import counted  # a slow import, as scikit-learn's: it notes each time it is imported

    def train(params):
        return counted.OFFSET + params["x"] ** 2

    hypermax.optimize(train, space={"x": "-2:2"}, iterations=3, results_dir="out", PRELOAD)
    """
)


@pytest.mark.parametrize(("preload", "imports"), [(True, 2), (False, 4)])
def test_a_shipped_objective_s_imports_are_paid_once_per_search_when_preloaded(
    tmp_path, preload, imports
):
    (tmp_path / "counted.py").write_text(
        "import os\n"
        "with open(os.path.join(os.path.dirname(__file__), 'imports'), 'a') as f:\n"
        "    f.write('imported\\n')\n"
        "OFFSET = 1.0\n"
    )
    script = PRELOADED.replace("PRELOAD", f"preload={preload}")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert [t["state"] for t in finished(tmp_path / "out" / "train").values()] == ["ok"] * 3
    # this script's own import, then the preload server's (or each fresh trial's)
    assert (tmp_path / "imports").read_text().count("imported") == imports


def test_modules_beside_a_script_run_from_another_folder_are_found_by_the_trials(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "helpers.py").write_text("def score(x):\n    return (x - 1) ** 2\n")
    (project / "model.py").write_text(
        "import helpers\n\ndef train(params):\n    return helpers.score(params['x'])\n"
    )
    (project / "run.py").write_text(
        "import hypermax, model\n"
        "hypermax.optimize(model.train, space={'x': [1, 3]}, iterations=2, results_dir='out')\n"
    )
    done = subprocess.run(
        [sys.executable, "project/run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    trials = finished(tmp_path / "out" / "train").values()
    assert [(t["state"], t["reason"]) for t in trials] == [("ok", None)] * 2


@pytest.mark.parametrize("preload", [True, False])
def test_an_objective_of_a_module_made_in_memory_runs(tmp_path, preload):
    """A tool that runs the user's code in a module of its own (``types.ModuleType`` filled by
    ``exec``, put in ``sys.modules``) left a function no trial could import by its module's
    name: every trial failed, ``ModuleNotFoundError: No module named 'cell'``."""
    program = textwrap.dedent(
        """
        import sys, types, hypermax

        cell = types.ModuleType("cell")
        exec("OFFSET = 1\\ndef train(params):\\n    return params['x'] + OFFSET\\n", cell.__dict__)
        sys.modules["cell"] = cell
        result = hypermax.optimize(
            cell.train, space={"x": [1, 2]}, iterations=2, results_dir="out",
            preload=sys.argv[1] == "preload",
        )
        print([t["loss"] - t["params"]["x"] for t in result.trials])
        """
    )
    kind = "preload" if preload else "fresh"
    done = subprocess.run(
        [sys.executable, "-c", program, kind],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[1.0, 1.0]", done.stdout


def test_a_module_imported_from_a_folder_the_program_left_since_is_found_by_the_trials(tmp_path):
    """``python -c`` (a notebook too) finds modules in the current folder, "" on sys.path: once
    the program changed its folder (os.chdir, a notebook's %cd), the trials looked for them in
    the new one, and every trial failed: "No module named 'helpers'"."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "helpers.py").write_text("def score(x):\n    return (x - 1) ** 2\n")
    script = (
        "import os, helpers, hypermax\n"
        "os.chdir('../elsewhere')\n"
        "def train(params):\n"
        "    return helpers.score(params['x'])\n"
        "hypermax.optimize(train, space={'x': [1, 3]}, iterations=2, results_dir='out')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    trials = finished(elsewhere / "out" / "train").values()
    assert [(t["state"], t["reason"]) for t in trials] == [("ok", None)] * 2


def _check(x):
    if x > 0:
        raise ValueError("x must not be positive")  # the line the trial's log shows


def rejects(params):
    _check(params["x"])
    return params["x"]


def test_the_traceback_of_a_shipped_objective_names_its_file_and_lines(tmp_path):
    result = hypermax.optimize(rejects, space={"x": [1]}, iterations=1, results_dir=tmp_path)
    assert result.trials[0]["reason"] == "ValueError: x must not be positive"
    log = (tmp_path / "rejects" / "logs" / "trial_1.log").read_text()
    assert f'File "{__file__}", line ' in log and "<dynamic-code>" not in log
    assert '    raise ValueError("x must not be positive")  # the line' in log


POOLED = """
import multiprocessing

def work(x):
    return x * x

def pooled(params):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return sum(pool.map(work, [1, 2])) * params["x"]
"""


def test_a_script_s_objective_may_send_its_script_s_functions_to_a_process_pool(tmp_path):
    script = {"__name__": "__main__"}  # as a script, or a notebook's cell, defines them
    exec(compile(POOLED, str(tmp_path / "script.py"), "exec"), script)
    result = hypermax.optimize(
        script["pooled"], space={"x": [0.5]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials
    assert (trial["state"], trial["reason"], trial["loss"]) == ("ok", None, 2.5)


BOUND = """
class Model:
    def __init__(self, scale):
        self.scale = scale

    def fit(self, params):
        return params["x"] * self.scale
"""


def test_a_bound_method_of_a_script_s_class_runs(tmp_path):
    script = {"__name__": "__main__"}  # as a script, or a notebook's cell, defines them
    exec(compile(BOUND, str(tmp_path / "script.py"), "exec"), script)
    result = hypermax.optimize(
        script["Model"](3).fit, space={"x": [0.5]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials
    assert (trial["state"], trial["reason"], trial["loss"]) == ("ok", None, 1.5)


CACHED = """
import functools

@functools.cache
def load_data():
    return [1.0, 2.0, 3.0]

def train(params):
    return sum(load_data()) * params["x"]
"""


@pytest.mark.parametrize("module", ["__main__", "streamlit_app"])
def test_an_objective_may_call_a_cached_function_of_its_script(tmp_path, module):
    script = {"__name__": module}  # as a script, a notebook's cell, or Streamlit defines them
    exec(compile(CACHED, str(tmp_path / "script.py"), "exec"), script)
    result = hypermax.optimize(
        script["train"], space={"x": [0.5]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials  # before: AttributeError: Can't get attribute 'load_data' on ...
    assert (trial["state"], trial["reason"], trial["loss"]) == ("ok", None, 3.0)


NESTED = """
import hypermax

def inner(params):
    return params["y"]

def outer(params):
    from hypermax.pickling import pickled

    return len(pickled(inner)) * 0 + params["x"]  # as a search of its own ships it
"""


def test_an_objective_may_ship_a_function_of_its_script_again(tmp_path):
    script = {"__name__": "__main__"}
    exec(compile(NESTED, str(tmp_path / "script.py"), "exec"), script)
    result = hypermax.optimize(
        script["outer"], space={"x": [0.5]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials  # before: Could not pickle object as excessively deep recursion
    assert (trial["state"], trial["reason"], trial["loss"]) == ("ok", None, 0.5)
