"""Plugin optimizers: the example plugin passes the contract and runs a search from its folder."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import journal_records, quadratic, run_cli

from hypermax.optimizers import WAIT, BaseOptimizer, NoProposal, trial_seed
from hypermax.space import UnitCube
from hypermax.testing import OptimizerContract
from hypermax.trial import Proposal, Trial, TrialState

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class TestExamplePlugin(OptimizerContract):
    method = "local_search:LocalSearch"
    options = {"startup": 5}
    folder = EXAMPLES


def test_a_plugin_author_runs_the_contract_with_one_pytest_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_local_search.py"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout


def test_a_search_runs_the_plugin_from_the_spec_folder_with_its_options(
    tmp_path: Path, write_spec: Any
) -> None:
    shutil.copy(EXAMPLES / "local_search.py", tmp_path / "local_search.py")
    spec = write_spec(
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": -4, "max": 4}},
            },
            "function": quadratic("train"),
            "search": {
                "name": "plugin",
                "method": "local_search:LocalSearch",
                "iterations": 12,
                "seed": 2,
                "local_search:LocalSearch": {"startup": 4, "step": 0.05},
            },
        }
    )
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    xs = [
        r["params"]["x"]
        for r in journal_records(tmp_path / "results" / "plugin")
        if r["event"] == "trial_started"
    ]
    assert len(xs) == 12
    # after 4 random trials, every step stays within a few steps (0.05 of the range) of the best
    best_before = [min(xs[:i], key=lambda x: (x - 1) ** 2) for i in range(4, 12)]
    assert all(abs(x - best) <= 4 * 0.05 * 8 for x, best in zip(xs[4:], best_before, strict=True))


class Drawn(BaseOptimizer):
    """Uniform points on the unit cube, each drawn from ``draw(self, trial_id)``."""

    def setup(self) -> None:
        self.cube = UnitCube(self.space)
        self.rng = random.Random(self.seed)

    def draw(self, trial_id: int) -> random.Random:
        return random.Random(trial_seed(self.seed, trial_id))

    def ask(self, trial_id: int) -> Proposal | NoProposal:
        rng = self.draw(trial_id)
        internal = self.cube.internal([rng.random() for _ in range(self.cube.dims)])
        return Proposal(trial_id, self.space.decode(internal), internal)

    def tell(self, trial: Trial) -> None:
        pass


class AdvancesWithAsks(Drawn):
    def draw(self, trial_id: int) -> random.Random:
        return self.rng  # one generator for every ask: a resumed search proposes others


class InternalElsewhere(Drawn):
    def ask(self, trial_id: int) -> Proposal | NoProposal:
        proposal = super().ask(trial_id)
        assert isinstance(proposal, Proposal)
        return Proposal(trial_id, proposal.params, {**proposal.internal, "x": 5.0})


class WaitsAlways(Drawn):
    def ask(self, trial_id: int) -> Proposal | NoProposal:
        return WAIT


@pytest.mark.parametrize(
    ("plugin", "check", "message"),
    [
        (
            "AdvancesWithAsks",
            "test_a_history_told_afterwards_gives_the_next_proposal_of_one_built_live",
            "as a resumed search, told the 12 trials of one that ran them in one tell_many, it "
            "proposed {",
        ),
        (
            "InternalElsewhere",
            "test_proposals_stay_in_the_space_and_round_trip",
            f"hypermax: the optimizer {__name__}:InternalElsewhere proposed params for trial 1 "
            "that its internal values do not decode to: ",
        ),
        (
            "WaitsAlways",
            "test_same_seed_same_proposals_and_another_seed_differs",
            "the optimizer proposed nothing: its first ask answered WAIT or EXHAUSTED",
        ),
    ],
)
def test_the_contract_says_what_a_broken_plugin_does(plugin: str, check: str, message: str) -> None:
    """Its checks used to fail with a bare AssertionError, the plugin's author left to read the
    suite's code to learn what it wanted."""
    contract = type("TestBroken", (OptimizerContract,), {"method": f"{__name__}:{plugin}"})()
    with pytest.raises(AssertionError) as failed:
        getattr(contract, check)()
    assert str(failed.value).startswith(message)


class LossOfEveryRun(Drawn):
    """Takes every trial that ran to have a loss: one killed without ``auto_kill_loss`` has none."""

    def setup(self) -> None:
        super().setup()
        self.best = math.inf

    def tell(self, trial: Trial) -> None:
        if trial.state is not TrialState.FAILED:
            self.best = min(self.best, trial.loss)  # type: ignore[type-var]


def test_the_contract_tells_trials_killed_or_stopped_without_a_loss() -> None:
    """It gave every killed trial a loss, as auto_kill_loss does, so it passed a plugin that a
    search without auto_kill_loss (the default) crashed at its first killed trial."""
    contract = type("TestBroken", (OptimizerContract,), {"method": f"{__name__}:LossOfEveryRun"})()
    with pytest.raises(TypeError, match="'<' not supported between instances of 'NoneType'"):
        contract.test_every_finished_state_is_taken()


THREAD_LEFT = """
import threading
from hypermax.optimizers import BaseOptimizer
from hypermax.trial import Proposal


class Threaded(BaseOptimizer):
    def setup(self):
        threading.Thread(target=threading.Event().wait, name="plugin-worker").start()  # never ends

    def ask(self, trial_id):
        return Proposal(trial_id, self.space.decode({"x": 0.5}), {"x": 0.5})

    def tell(self, trial):
        pass
"""


def test_a_thread_a_plugin_never_stopped_does_not_hold_the_finished_search(
    tmp_path: Path, write_spec: Any
) -> None:
    """Python's exit waits for every thread that is not a daemon: it waited for ever."""
    result = _one_trial_of(tmp_path, write_spec, "threaded:Threaded", THREAD_LEFT)
    assert "hypermax: exiting without 1 running thread(s): plugin-worker" in result.stderr
    assert "1 trial done" in result.stdout


POOLED = """
from concurrent.futures import ThreadPoolExecutor
from hypermax.optimizers import BaseOptimizer
from hypermax.trial import Proposal


class Pooled(BaseOptimizer):
    def setup(self):
        self.pool = ThreadPoolExecutor(2)  # never shut down: Python's exit ends its workers
        self.x = self.pool.submit(lambda: 0.5).result()  # a worker started from here

    def ask(self, trial_id):
        return Proposal(trial_id, self.space.decode({"x": self.x}), {"x": self.x})

    def tell(self, trial):
        pass
"""


def test_the_workers_of_a_pool_a_plugin_left_end_with_the_exit_as_python_ends_them(
    tmp_path: Path, write_spec: Any
) -> None:
    """They are not daemons either, but Python's exit tells them to end before it waits for
    them: nothing is left behind, and nothing said."""
    result = _one_trial_of(tmp_path, write_spec, "pooled:Pooled", POOLED)
    assert "exiting without" not in result.stderr


def _one_trial_of(
    tmp_path: Path, write_spec: Any, method: str, source: str
) -> subprocess.CompletedProcess[str]:
    """``hypermax SPEC --no-ui`` of one trial asked of the plugin ``method`` (``module:Class``,
    its module's text ``source``); it must end well."""
    (tmp_path / f"{method.split(':')[0]}.py").write_text(source)
    space = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
    search = {"name": "p", "method": method, "iterations": 1}
    spec = write_spec({"hyperparameters": space, "function": quadratic("train"), "search": search})
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    return result
