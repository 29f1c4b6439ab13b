"""The runner contract (tests/runner_contract.py) against the local runner."""

from __future__ import annotations

from pathlib import Path

from runner_contract import RunnerContract

from hypermax.execution.base import BaseRunner
from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec


class TestLocalRunner(RunnerContract):
    def make_runner(self, function: FunctionSpec, folder: Path) -> BaseRunner:
        return LocalRunner(function, folder)
