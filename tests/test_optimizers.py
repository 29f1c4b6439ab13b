"""The optimizer contract against every built-in method, and what each method promises beyond it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import journal_records, quadratic, run_cli

from hypermax.cli import main
from hypermax.optimizers import (
    BUILTIN_METHODS,
    OptimizerError,
    load_optimizer_class,
    make_optimizer,
)
from hypermax.optimizers.base import finished
from hypermax.space import Space
from hypermax.testing import (
    FLAT_SPACE,
    FiniteOptimizerContract,
    OptimizerContract,
    drive,
    flat_loss,
)

SPACE = Space(FLAT_SPACE)


class TestTPE(OptimizerContract):
    method = "tpe"
    options = {"n_startup_jobs": 5}


class TestTPEWithoutMultivariateModel(OptimizerContract):
    method = "tpe"
    options = {"n_startup_jobs": 5, "multivariate": False, "constant_liar": False}


class TestHyperoptTPE(OptimizerContract):
    method = "hyperopt_tpe"
    options = {"n_startup_jobs": 5}


class TestGP(OptimizerContract):
    method = "gp"
    options = {"n_startup_jobs": 9}  # a Gaussian-process ask costs 0.1 to 0.5 s: few of them
    trials = 12
    requires = ("torch",)


class TestCMAES(OptimizerContract):
    method = "cmaes"


class TestNGOpt(OptimizerContract):
    method = "ngopt"
    requires = ("nevergrad",)


class TestAuto(OptimizerContract):
    """On the flat space auto starts with gp and hands over to tpe after 6 trials."""

    method = "auto"
    options = {"gp_trials": 6, "gp": {"n_startup_jobs": 4}, "tpe": {"n_startup_jobs": 5}}


class TestRandom(OptimizerContract):
    method = "random"


class TestAnneal(OptimizerContract):
    method = "anneal"


class TestATPE(OptimizerContract):
    method = "atpe"
    requires = ("lightgbm", "sklearn")
    normal_numbers = False  # a spec error: its model takes every number as uniform
    trials = 14  # 10 initialization rounds, then 4 asks of its model (each costs ~0.07 s)

    @pytest.fixture(autouse=True)
    def _one_openmp_thread(self) -> Iterator[None]:
        """Every ATPE ask, even in its initialization rounds, loads 13 LightGBM models, and
        OpenMP's threads wait for each other by spinning: on two busy cores that took 4 times
        the CPU time of one thread. LightGBM's models predict the same with one thread (the
        proposals of a seed are the same), so these checks run with one."""
        for name in self.requires:  # loads OpenMP, which a limit set before would miss
            pytest.importorskip(name, reason=f'"{self.method}" needs {name}')
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency

        with threadpool_limits(1, user_api="openmp"):
            yield


class TestGrid(FiniteOptimizerContract):
    """36 points, a budget of 24: a seeded shuffle."""

    method = "grid"


class TestGridInOrder(FiniteOptimizerContract):
    """24 points, a budget of 24: in order, whatever the seed."""

    method = "grid"
    grid_points = 2
    seeded = False


class TestEvolution(OptimizerContract):
    method = "evolution"
    options = {"population_size": 6}


class TestEvolutionTwoDifferencesExponentialCrossover(OptimizerContract):
    method = "evolution"
    options = {"strategy": "randtobest2exp", "population_size": 7}


#: an ablation study proposes the params plus keys of its own ("ablated", its seed) from a
#: fixed plan, which the contract's round trip through the space cannot take; it has its own
#: tests in test_ablation.py
NOT_CONTRACTED = {"ablation"}


def test_every_built_in_method_has_a_contract_run():
    contracts = (
        TestTPE,
        TestHyperoptTPE,
        TestGP,
        TestCMAES,
        TestNGOpt,
        TestAuto,
        TestRandom,
        TestAnneal,
        TestATPE,
        TestGrid,
        TestEvolution,
    )
    tested = {cls.method for cls in contracts}
    assert tested | NOT_CONTRACTED == set(BUILTIN_METHODS)
    assert not tested & NOT_CONTRACTED


def test_a_running_trial_changes_what_tpe_proposes_next():
    """Parallel asks spread out: a pending trial counts in TPE's model until it is told."""

    def after_history(seed: int = 5):
        optimizer = make_optimizer("tpe", SPACE, seed=seed, options={"n_startup_jobs": 3})
        drive(optimizer, 9, flat_loss)
        return optimizer

    running = after_history()
    internal = SPACE.encode({"x": 1.0, "k": 1, "c": "b"})
    running.pending(10, internal)
    with_pending = running.ask(11)
    without_pending = after_history().ask(11)
    assert with_pending.params != without_pending.params
    # once told, a pending trial is history like any other: as if it had been told at once
    noted = after_history()
    noted.pending(10, internal)
    noted.tell(finished(10, internal, 2.0))
    told = after_history()
    told.tell(finished(10, internal, 2.0))
    assert noted.ask(11).params == told.ask(11).params


def test_tpe_beats_random_on_a_smooth_problem():
    def best_after(method: str, seed: int) -> float:
        optimizer = make_optimizer(method, SPACE, seed=seed, options={"n_startup_jobs": 10})
        return min(t.loss for t in drive(optimizer, 60, flat_loss) if t.loss is not None)

    tpe = sum(best_after("tpe", s) for s in range(4))
    rand = sum(best_after("random", s) for s in range(4))
    assert tpe < rand


def test_plugin_optimizer_by_module_and_class():
    assert (
        load_optimizer_class("hypermax.optimizers.hyperopt_based:RandomOptimizer").method
        == "random"
    )
    with pytest.raises(OptimizerError, match="is not a subclass of"):
        load_optimizer_class("json:JSONDecoder")


def test_same_seed_same_trials_through_the_command_line(tmp_path, write_spec):
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": -4, "max": 4}},
        },
        "function": quadratic("train"),
        "search": {"name": "det", "iterations": 14, "seed": 9, "tpe": {"n_startup_jobs": 5}},
    }
    runs = []
    for name in ("a", "b"):
        spec = write_spec({**doc, "results": {"directory": str(tmp_path / name)}}, f"{name}.json")
        assert run_cli(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
        runs.append(
            [
                r["params"]
                for r in journal_records(tmp_path / name / "det")
                if r["event"] == "trial_started"
            ]
        )
    assert runs[0] == runs[1] and len(runs[0]) == 14
    spec = write_spec(doc, "sample.json")
    sampled = [run_cli("sample", str(spec), "-n", "4", cwd=tmp_path).stdout for _ in range(2)]
    assert sampled[0] == sampled[1]
    assert len([json.loads(line) for line in sampled[0].splitlines()]) == 4


def test_anneal_takes_its_options(tmp_path, capsys):
    def proposals(options: dict) -> list:
        optimizer = make_optimizer("anneal", SPACE, seed=3, options=options)
        return [t.params for t in drive(optimizer, 12, flat_loss)]

    default = proposals({})
    assert proposals({"avg_best_idx": 2, "shrink_coef": 0.1}) == default  # hyperopt's defaults
    assert proposals({"shrink_coef": 5.0}) != default
    assert proposals({"avg_best_idx": 10}) != default
    spec = {  # hyperopt draws the rank annealed from with a mean of avg_best_idx: 1 at least
        "hyperparameters": FLAT_SPACE,
        "function": quadratic(),
        "search": {"method": "anneal", "anneal": {"avg_best_idx": 0.5}},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["validate", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err.endswith(
        "s.json: search.anneal.avg_best_idx: must be at least 1, got 0.5\n"
    )
