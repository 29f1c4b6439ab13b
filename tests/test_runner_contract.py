"""The runner contract (tests/runner_contract.py) against the local runner."""

from __future__ import annotations

from pathlib import Path

from runner_contract import RunnerContract, executable

from hypermax.execution import make_runner
from hypermax.execution.base import BaseRunner
from hypermax.execution.launch import SubprocessLauncher
from hypermax.execution.limits import Limits
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec, spec_from_dict


class TestLocalRunner(RunnerContract):
    def make_runner(self, function: FunctionSpec, folder: Path) -> BaseRunner:
        return LocalRunner(function, folder)


class TestPreloadRunner(RunnerContract):
    """The local runner with function trials forked from a preloaded server."""

    programs_as_functions = True

    def make_runner(self, function: FunctionSpec, folder: Path) -> BaseRunner:
        return LocalRunner(function, folder, launcher=PreloadLauncher(str(folder)))


def test_make_runner_builds_the_local_runner_for_the_spec(tmp_path):
    function = {**executable("good"), "command": list(executable("good")["command"])}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {**function, "auto_kill_max_time": 9, "auto_kill_max_ram": 300},
    }
    spec = spec_from_dict(doc, tmp_path / "search.json")
    runner = make_runner(spec)
    assert isinstance(runner, LocalRunner)
    assert isinstance(runner.host.launcher, SubprocessLauncher)
    assert runner.function == spec.function and runner.spec_folder == tmp_path.resolve()
    assert runner.limits == Limits(max_time=9, max_ram_mib=300)
    runner.close()
