"""What the Optuna, CMA-ES, nevergrad and auto methods promise beyond the optimizer contract:
they beat random search, every trial state teaches, running trials spread parallel asks, and
``auto`` picks by the space and hands its history over."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli_here

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.auto import AutoOptimizer, choose
from hypermax.optimizers.base import BaseOptimizer, Budget, finished
from hypermax.optimizers.dimensions import dimension
from hypermax.optimizers.history import taught_loss
from hypermax.registry import METHODS, MethodInfo, builtin_problem
from hypermax.space import Space
from hypermax.testing import CONDITIONAL_SPACE, FLAT_SPACE, drive, flat_loss
from hypermax.trial import Proposal, Trial, TrialState

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

PLANE = Space(
    {
        "type": "object",
        "properties": {
            "x": {"type": "number", "min": -5, "max": 5},
            "y": {"type": "number", "min": -5, "max": 5},
        },
    }
)
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_NEVERGRAD = importlib.util.find_spec("nevergrad") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="gp needs torch (pip install torch)")
needs_nevergrad = pytest.mark.skipif(not HAS_NEVERGRAD, reason="ngopt needs nevergrad")


def bowl(params: dict[str, Any]) -> float:
    """A smooth loss over PLANE, 0 at (1, -2)."""
    return (params["x"] - 1) ** 2 + (params["y"] + 2) ** 2


def optimizer(method: str, seed: int = 1, space: Space = PLANE, **options: Any) -> BaseOptimizer:
    return make_optimizer(method, space, seed, options, budget=Budget(iterations=30, parallel=1))


SPHERE = Space(
    {
        "type": "object",
        "properties": {key: {"type": "number", "min": -5, "max": 5} for key in "abcd"},
    }
)
SPHERE_CENTRE = {"a": 1.0, "b": -2.0, "c": 0.5, "d": 3.0}


def sphere(params: dict[str, Any]) -> float:
    """A smooth loss over SPHERE, 0 at SPHERE_CENTRE."""
    return sum((params[key] - centre) ** 2 for key, centre in SPHERE_CENTRE.items())


def median_best(method: str, trials: int, options: dict[str, Any]) -> float:
    """The median over three seeds of the best loss after ``trials`` trials on the sphere."""
    bests = []
    for seed in range(3):
        opt = make_optimizer(method, SPHERE, seed, options, budget=Budget(trials, 1))
        bests.append(min(t.loss for t in drive(opt, trials, sphere) if t.loss is not None))
    return sorted(bests)[1]


# -- a quality floor: each method beats random search on a small smooth function -------------
@pytest.mark.parametrize(
    ("method", "trials", "options"),
    [
        pytest.param("tpe", 30, {"n_startup_jobs": 8}, id="tpe"),
        pytest.param("hyperopt_tpe", 30, {"n_startup_jobs": 8}, id="hyperopt_tpe"),
        pytest.param("cmaes", 30, {}, id="cmaes"),
        pytest.param("gp", 12, {"n_startup_jobs": 5}, id="gp", marks=needs_torch),
        pytest.param("ngopt", 30, {}, id="ngopt", marks=needs_nevergrad),
        # on numbers alone auto runs ngopt where nevergrad is installed, else gp where torch is,
        # else tpe, which needs more trials to show
        pytest.param(
            "auto",
            12 if HAS_TORCH and not HAS_NEVERGRAD else 30,
            {"gp": {"n_startup_jobs": 5}, "tpe": {"n_startup_jobs": 8}},
            id="auto",
        ),
    ],
)
def test_method_beats_random_search_on_a_smooth_function(
    method: str, trials: int, options: dict[str, Any]
) -> None:
    assert median_best(method, trials, options) < median_best("random", trials, {})


# -- every trial state teaches ---------------------------------------------------------------
def test_the_loss_a_trial_teaches() -> None:
    def trial(state: TrialState, loss: float | None) -> Trial:
        return Trial(1, {}, {}, state, loss=loss)

    assert taught_loss(trial(TrialState.OK, 0.5)) == 0.5
    assert taught_loss(trial(TrialState.KILLED, 9.0)) == 9.0  # auto_kill_loss
    assert taught_loss(trial(TrialState.STOPPED, 0.7)) == 0.7  # its last report
    assert taught_loss(trial(TrialState.IMPORTED, 0.2)) == 0.2
    assert taught_loss(trial(TrialState.KILLED, None)) is None  # "bad"
    assert taught_loss(trial(TrialState.FAILED, None)) is None
    assert taught_loss(trial(TrialState.OK, float("nan"))) is None


@pytest.mark.parametrize(
    "method",
    [
        "tpe",
        "cmaes",
        pytest.param("gp", marks=needs_torch),
        pytest.param("ngopt", marks=needs_nevergrad),
    ],
)
def test_a_failed_trial_changes_what_comes_next(method: str) -> None:
    """A failed trial is not dropped: it teaches "bad" where it ran. For the methods that learn
    from any point: a failure at the optimum against no trial there at all; for ngopt, whose
    algorithm may learn only from its own proposals: its proposal failed against the same
    proposal ending well."""
    options = {"n_startup_jobs": 4} if method in ("tpe", "gp") else {}

    def next_proposals(fails: bool) -> list[dict[str, Any]]:
        opt = optimizer(method, seed=4, **options)
        drive(opt, 11, bowl)
        if method == "ngopt":
            own = opt.ask(12)
            assert isinstance(own, Proposal)
            opt.tell(finished(12, own.internal, None if fails else bowl(own.params)))
        elif fails:
            opt.tell(finished(12, PLANE.encode({"x": 1.0, "y": -2.0}), None))
        return [p.params for p in drive_from(opt, 13, 3)]

    assert next_proposals(fails=True) != next_proposals(fails=False)


def drive_from(opt: BaseOptimizer, first_id: int, trials: int) -> list[Proposal]:
    """Ask and tell ``trials`` more trials on the bowl, from id ``first_id``."""
    out = []
    for trial_id in range(first_id, first_id + trials):
        proposal = opt.ask(trial_id)
        assert isinstance(proposal, Proposal)
        opt.tell(finished(trial_id, proposal.internal, bowl(proposal.params)))
        out.append(proposal)
    return out


def test_a_killed_trial_with_auto_kill_loss_teaches_that_loss() -> None:
    def next_after(state: TrialState) -> dict[str, Any]:
        opt = optimizer("tpe", seed=2, n_startup_jobs=4)
        drive(opt, 8, bowl)
        internal = PLANE.encode({"x": 3.0, "y": 3.0})
        opt.tell(Trial(9, PLANE.decode(internal), internal, state, loss=4.0))
        answer = opt.ask(10)
        assert isinstance(answer, Proposal)
        return answer.params

    assert next_after(TrialState.KILLED) == next_after(TrialState.OK)


def test_gp_counts_a_failed_trial_as_the_worst_loss_and_tpe_as_worse_than_all() -> None:
    from hypermax.optimizers.optuna_based import GPOptimizer, TPEOptimizer

    gp = GPOptimizer(PLANE, 1, {"warp_losses": False})
    tpe = TPEOptimizer(PLANE, 1)
    for opt in (gp, tpe):
        for trial_id, loss in ((1, 3.0), (2, 7.0), (3, 1.0)):
            opt.tell(finished(trial_id, PLANE.encode({"x": 0.0, "y": float(trial_id)}), loss))
    assert gp.finished_value(None) == 7.0
    assert tpe.finished_value(None) == float("inf")


def test_the_power_warp_keeps_the_order_of_losses_and_evens_out_their_scale() -> None:
    from hypermax.optimizers.warping import power_warp

    losses = [0.5, 2.0, 40.0, 900.0, 3e4, 8e5, 7.0, 120.0]
    warp = power_warp(losses)
    warped = [warp(loss) for loss in sorted(losses)]
    assert warped == sorted(warped) and len(set(warped)) == len(warped)

    def share(values: list[float], i: int) -> float:
        """How far apart the i-th and (i+1)-th are, as a share of the whole range."""
        return (values[i + 1] - values[i]) / (values[-1] - values[0])

    raw = sorted(losses)
    assert share(warped, 0) > 5 * share(raw, 0)  # the best ones are told apart better
    assert share(warped, 6) < 0.75 * share(raw, 6)  # the worst one dominates less
    assert power_warp([1.0, 1.0, 2.0])(5.0) == 5.0  # too few distinct losses: as they are


@pytest.mark.parametrize("scale", [1e-170, -1e-300, 1e300])
def test_the_power_warp_takes_losses_of_an_extreme_magnitude(scale: float) -> None:
    """Losses whose squares underflow ended gp's asks (and the search, with an unexpected
    error) with "Yeo-Johnson input must be finite": their standard deviation was 0."""
    from hypermax.optimizers.warping import power_warp

    losses = [scale * value for value in (1.0, 2.0, 3.0, 5.0, 40.0)]
    warp = power_warp(losses)
    warped = [warp(loss) for loss in sorted(losses)]
    assert all(math.isfinite(value) for value in warped)
    assert warped == sorted(warped) and len(set(warped)) == len(warped)


def test_tpe_believes_running_trials_among_losses_near_the_largest_float() -> None:
    """tpe believes a running trial at the mean loss of its three nearest finished trials (a
    failed one at +inf): two losses near -1e308 summed to -inf, which beside a failed trial made
    the mean NaN, and "values should not contain NaN" ended the search."""
    opt = make_optimizer("tpe", PLANE, 1, {"n_startup_jobs": 3}, budget=Budget(20, 3))
    failing = lambda i: TrialState.FAILED if i % 5 == 0 else TrialState.OK  # noqa: E731
    told = drive(opt, 20, lambda p: 1e308 if p["x"] > 0 else -1e308, 3, failing)
    assert len(told) == 20
    assert isinstance(opt.ask(21), Proposal)


@needs_torch
def test_gp_fits_the_warped_losses_and_the_worst_for_a_failure() -> None:
    from hypermax.optimizers.optuna_based import GPOptimizer
    from hypermax.optimizers.warping import power_warp

    gp = GPOptimizer(PLANE, 1, {"n_startup_jobs": 3})
    losses = {1: 3.0, 2: 700.0, 3: 1.0, 4: 45.0, 5: None}
    for trial_id, loss in losses.items():
        gp.tell(finished(trial_id, PLANE.encode({"x": 0.0, "y": float(trial_id)}), loss))
    assert isinstance(gp.ask(6), Proposal)
    warp = power_warp([3.0, 700.0, 1.0, 45.0])
    assert gp._study is not None
    values = [trial.value for trial in gp._study.get_trials() if trial.value is not None]
    assert values == [warp(3.0), warp(700.0), warp(1.0), warp(45.0), warp(700.0)]


# -- parallel asks spread out ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "liar", "changes"),
    [
        ("tpe", True, True),
        ("tpe", False, False),
        pytest.param("gp", True, True, marks=needs_torch),
        pytest.param("gp", False, False, marks=needs_torch),
    ],
)
def test_a_running_trial_counts_only_with_the_constant_liar(
    method: str, liar: bool, changes: bool
) -> None:
    """With the liar on, concurrent asks see the trials still running and move away from them;
    with it off, a running trial is not seen."""

    def concurrent_asks(first_id: int) -> list[dict[str, Any]]:
        opt = optimizer(method, seed=6, n_startup_jobs=4, constant_liar=liar)
        drive(opt, 8, bowl)
        asked = [opt.ask(trial_id) for trial_id in range(first_id, 13)]
        return [p.params for p in asked if isinstance(p, Proposal)][-3:]

    assert (concurrent_asks(9) != concurrent_asks(10)) is changes


@needs_torch
def test_gp_counts_a_running_trial_at_the_loss_the_process_predicts_there() -> None:
    """The kriging believer: Optuna's batch acquisition, which GPSampler builds when trials
    are running, becomes expected improvement over a process that holds each running trial at
    its posterior mean: the mean stays, the uncertainty around the running trial goes."""
    import optuna
    import torch
    from optuna._gp import acqf as acqf_module
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from hypermax.optimizers.believer import believed_acquisition

    built: list[Any] = []

    class Recording(optuna.samplers.GPSampler):
        def _optimize_acqf(self, acqf: Any, best_params: Any) -> Any:
            built.append(acqf)
            return super()._optimize_acqf(acqf, best_params)

    distributions = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}
    study = optuna.create_study(sampler=Recording(n_startup_trials=4, seed=1))
    points = [(-4.0, 4.0), (3.0, 3.0), (0.0, -1.0), (4.0, -4.0), (-2.0, -3.0), (1.5, 0.5)]
    for x, y in points:
        params = {"x": x, "y": y}
        study.add_trial(
            create_trial(params=params, distributions=distributions, value=bowl(params))
        )
    for x, y in [(2.5, -1.0), (-3.5, 0.5)]:
        study.add_trial(
            create_trial(
                state=TrialState.RUNNING, params={"x": x, "y": y}, distributions=distributions
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.ask(distributions)
    (batch,) = built
    assert isinstance(batch, acqf_module.qLogEI)
    running = batch._cond_gpr._X_running
    mean, variance = batch._cond_gpr._gpr.posterior(running)
    believed = believed_acquisition(batch)
    assert isinstance(believed, acqf_module.LogEI)
    mean_believed, variance_believed = believed._gpr.posterior(running)
    assert torch.allclose(mean_believed, mean)
    assert bool((variance_believed < 0.5 * variance).all())
    assert believed_acquisition(believed) is believed  # plain acquisitions stay as they are


X_LEAF = {"type": "number", "min": 0, "max": 1}


@needs_torch
def test_gp_believes_running_trials_unless_told_to_sample_them(tmp_path: Path) -> None:
    """``running_trials`` picks the kriging believer (the default) or Optuna's batch
    acquisition, the two give different parallel asks, and another value is a one-line error."""
    from hypermax.errors import SpecError
    from hypermax.spec import spec_from_dict

    def concurrent_asks(options: dict[str, Any]) -> list[dict[str, Any]]:
        opt = make_optimizer("gp", PLANE, 6, {"n_startup_jobs": 4, **options}, Budget(30, 3))
        drive(opt, 8, bowl)
        asked = [opt.ask(trial_id) for trial_id in range(9, 12)]
        return [p.params for p in asked if isinstance(p, Proposal)]

    assert concurrent_asks({}) == concurrent_asks({"running_trials": "predicted"})
    assert concurrent_asks({}) != concurrent_asks({"running_trials": "sampled"})
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": dict(X_LEAF)}},
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "gp", "gp": {"running_trials": "sampled"}},
    }
    spec_from_dict(doc, tmp_path / "search.json")
    doc["search"]["gp"]["running_trials"] = "guessed"
    with pytest.raises(SpecError) as raised:
        spec_from_dict(doc, tmp_path / "search.json")
    assert raised.value.lines() == [
        'search.json: search.gp.running_trials: must be one of predicted or sampled, got "guessed"'
    ]


@needs_nevergrad
def test_ngopt_is_built_for_the_parallel_trials_and_waits_past_them() -> None:
    """NGOpt picks its algorithm for ``budget.parallel`` workers; one picked for a single worker
    may not take a second ask before a tell, so an ask past them waits for a trial to end."""
    from hypermax.optimizers import WAIT

    for parallel in (1, 3):
        opt = make_optimizer("ngopt", PLANE, 2, {}, budget=Budget(30, parallel))
        asked = [opt.ask(trial_id) for trial_id in range(1, parallel + 2)]
        assert all(isinstance(answer, Proposal) for answer in asked[:parallel])
        assert asked[parallel] is WAIT
        first = asked[0]
        assert isinstance(first, Proposal)
        opt.tell(finished(1, first.internal, None))  # a failure ends it as well
        assert isinstance(opt.ask(parallel + 2), Proposal)


@needs_nevergrad
def test_ngopt_keeps_nevergrads_warnings_out_of_the_console() -> None:
    """A failure is told as an infinite loss, which nevergrad clips with a warning; warnings
    printed during a search would break into its console or dashboard."""
    opt = make_optimizer("ngopt", PLANE, 2, {}, budget=Budget(20, 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        states = lambda trial_id: TrialState.FAILED if trial_id <= 2 else TrialState.OK  # noqa: E731
        drive(opt, 12, lambda params: params["x"] ** 2 + params["y"] ** 2, states=states)
    assert [str(w.message) for w in caught] == []


BRANCHES = Space(
    {
        "type": "object",
        "properties": {
            "model": {
                "anyOf": [
                    {"type": "object", "properties": {"kind": {"const": "none"}}},
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"const": "linear"},
                            "w": {"type": "number", "min": 0, "max": 1},
                        },
                    },
                ]
            },
            "k": {"type": "integer", "min": 1, "max": 3},
        },
    }
)


def _points(trials: list[Trial]) -> list[str]:
    return [json.dumps(trial.params, sort_keys=True) for trial in trials]


@needs_nevergrad
@pytest.mark.parametrize("parallel", [1, 2])
def test_ngopt_runs_the_point_of_a_finished_trial_again_only_when_it_finds_no_other(
    parallel: int,
) -> None:
    """NGOpt steps on the unit cube within the slice of one branch and one integer, where the
    coordinate of a leaf of the other branch changes nothing: it proposed the point of a
    finished trial for 19 of 20 trials of this space (all 20, two at a time)."""
    opt = make_optimizer("ngopt", BRANCHES, 3, {}, budget=Budget(20, parallel))
    points = _points(drive(opt, 20, lambda params: 1.0 + params["k"], parallel=parallel))
    assert len(set(points)) >= 10, points


@needs_nevergrad
def test_ngopt_told_its_history_proposes_the_trial_a_live_one_did_past_repeats() -> None:
    """An ask that told NGOpt the losses of repeated points, or gave up on them for a random
    point, is made again by a resumed search: its next proposal is the live one's."""
    live = make_optimizer("ngopt", BRANCHES, 3, {}, budget=Budget(20, 1))
    history = drive(live, 14, lambda params: 1.0 + params["k"])
    assert len(set(_points(history))) < len(history)  # some asks met repeats
    resumed = make_optimizer("ngopt", BRANCHES, 3, {}, budget=Budget(20, 1))
    resumed.tell_many(history)
    expected, got = live.ask(15), resumed.ask(15)
    assert isinstance(got, Proposal) and isinstance(expected, Proposal)
    assert got.params == expected.params


@needs_nevergrad
def test_ngopt_does_not_run_the_best_imported_trial_again() -> None:
    """Told a warm start's trials, NGOpt asked for its best point first: it ran again, as the
    unit cube gave it back a float's last digit away from the imported params."""
    square = Space(
        {
            "type": "object",
            "properties": {
                "x": {"type": "number", "min": 0, "max": 1},
                "y": {"type": "number", "min": 0, "max": 1},
            },
        }
    )
    source = make_optimizer("random", square, 3, {}, budget=Budget(15, 1))
    imported = [
        Trial(t.id, t.params, t.internal, TrialState.IMPORTED, loss=t.loss)
        for t in drive(source, 15, lambda params: (params["x"] + params["y"] - 1.3) ** 2)
    ]
    best = min(imported, key=lambda trial: trial.loss or 0.0).params
    opt = make_optimizer("ngopt", square, 3, {}, budget=Budget(10, 1))
    opt.tell_many(imported)
    first = opt.ask(16)
    assert isinstance(first, Proposal)
    assert not all(math.isclose(first.params[k], best[k], rel_tol=1e-9) for k in best), first


NGOPT_KEPT_TO_THE_END = """
from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget
from hypermax.space import Space
from hypermax.testing import drive
from hypermax.trial import TrialState

PLANE = Space({"type": "object", "properties": {
    "x": {"type": "number", "min": -1, "max": 1}, "y": {"type": "number", "min": -1, "max": 1}}})
OPTIMIZER = make_optimizer("ngopt", PLANE, 2, {}, budget=Budget(20, 1))  # referenced to the end
states = lambda trial_id: TrialState.FAILED if trial_id <= 2 else TrialState.OK
drive(OPTIMIZER, 12, lambda params: params["x"] ** 2 + params["y"] ** 2, states=states)
print("done", flush=True)
"""


@needs_nevergrad
def test_a_process_that_still_holds_an_ngopt_optimizer_exits():
    """The algorithm NGOpt picks here (scipy's COBYLA, recast as ask and tell) waits for the
    next tell in a thread of its own, which used to keep the interpreter from exiting."""
    proc = subprocess.run(
        [sys.executable, "-c", NGOPT_KEPT_TO_THE_END], capture_output=True, text=True, timeout=90
    )
    assert (proc.returncode, proc.stdout) == (0, "done\n"), proc.stderr


# -- auto ------------------------------------------------------------------------------------
def test_auto_picks_gp_for_flat_spaces_and_tpe_for_conditional_ones_or_without_torch() -> None:
    def pick(space: Space, **kwargs: Any) -> str:
        return choose(space, gp_installed=kwargs.pop("gp", True), ngopt_installed=False, **kwargs)

    assert pick(PLANE) == "gp"
    assert pick(Space(FLAT_SPACE)) == "gp"
    assert pick(Space(CONDITIONAL_SPACE)) == "tpe"
    assert pick(PLANE, gp=False) == "tpe"
    assert pick(PLANE, trials_so_far=200) == "tpe"
    assert pick(PLANE, trials_so_far=9, gp_trials=10) == "gp"
    assert pick(PLANE, trials_so_far=10, gp_trials=10) == "tpe"


def test_auto_picks_ngopt_for_numbers_alone_searched_one_at_a_time() -> None:
    def pick(space: Space, parallel: int = 1, installed: bool = True) -> str:
        return choose(space, gp_installed=True, parallel=parallel, ngopt_installed=installed)

    assert pick(PLANE) == "ngopt"
    assert pick(PLANE, parallel=2) == "gp"
    assert pick(PLANE, installed=False) == "gp"
    assert pick(Space(FLAT_SPACE)) == "gp"  # a categorical leaf
    assert pick(Space(CONDITIONAL_SPACE)) == "tpe"


@needs_nevergrad
def test_auto_with_ngopt_resumes_to_the_same_proposal() -> None:
    def make() -> AutoOptimizer:
        opt = make_optimizer("auto", PLANE, 5, {}, budget=Budget(20, 1))
        assert isinstance(opt, AutoOptimizer) and opt.method == "ngopt"
        return opt

    live = make()
    history = drive(live, 10, bowl)
    rebuilt = make()
    rebuilt.tell_many(history)
    assert rebuilt.ask(11) == live.ask(11)


@needs_torch
def test_auto_hands_the_history_to_tpe_and_a_resume_proposes_the_same() -> None:
    options = {"gp_trials": 6, "gp": {"n_startup_jobs": 3}, "tpe": {"n_startup_jobs": 3}}

    def make() -> AutoOptimizer:
        opt = make_optimizer("auto", Space(FLAT_SPACE), 5, options)
        assert isinstance(opt, AutoOptimizer)
        return opt

    live = make()
    assert live.method == "gp"
    history = drive(live, 10, flat_loss)
    assert live.method == "tpe"
    member = live.member
    assert member is not None
    assert sorted(member.history.finished) == list(range(1, 11))  # type: ignore[attr-defined]
    rebuilt = make()
    rebuilt.tell_many(history)
    assert rebuilt.ask(11) == live.ask(11)


# -- how leaves become search dimensions -----------------------------------------------------
def test_a_stepped_log_number_is_searched_on_its_steps() -> None:
    space = Space(
        {
            "type": "object",
            "properties": {
                "trees": {"type": "integer", "min": 1, "max": 1000, "scaling": "logarithmic"},
                "units": {"type": "number", "min": 5, "max": 64, "rounding": 8},
            },
        }
    )
    trees, units = (dimension(leaf) for leaf in space.leaves())
    assert [trees.from_unit(u) for u in (0.0, 0.5, 1.0)] == [1.0, 32.0, 1000.0]
    assert [units.from_unit(u) for u in (0.0, 0.5, 1.0)] == [8.0, 32.0, 64.0]
    for dim, value in ((trees, 37.0), (units, 40.0)):
        assert dim.from_unit(dim.to_unit(value)) == value
        assert dim.from_param(dim.to_param(value)) == value
    assert (units.distribution().low, units.distribution().high) == (1, 8)  # type: ignore[attr-defined]


def test_a_normal_prior_is_searched_over_three_standard_deviations() -> None:
    leaf = Space(
        {
            "type": "object",
            "properties": {"w": {"type": "number", "mode": "normal", "mean": 2, "stddev": 0.5}},
        }
    ).leaves()[0]
    dim = dimension(leaf)
    assert (dim.low, dim.high) == (0.5, 3.5)


# -- the spec and the registry ----------------------------------------------------------------
def _validate(folder: Path, search: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``hypermax validate`` of a search over one number with this ``search`` section."""
    (folder / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": search,
    }
    (folder / "search.json").write_text(json.dumps(doc))
    return run_cli_here("validate", "search.json", cwd=folder)


def test_method_options_are_validated_in_one_line(tmp_path: Path) -> None:
    result = _validate(tmp_path, {"method": "cmaes", "cmaes": {"popsize": 1}})
    assert result.returncode == 2
    assert result.stderr == "search.json: search.cmaes.popsize: must be at least 2, got 1\n"


def test_a_missing_extra_is_named_with_its_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = (("hypermax_no_such_package", "no-such-package"),)
    info = MethodInfo("fancy", "a method for this test", METHODS["gp"].target, needs, extra="fancy")
    monkeypatch.setitem(METHODS, "fancy", info)
    assert (
        builtin_problem("fancy") == '"fancy" needs no-such-package: pip install "hypermax[fancy]"'
    )


def test_auto_fixed_to_a_method_whose_extra_is_missing_is_refused_as_that_method_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auto`` with ``method: gp`` runs ``gp``: without its extra it is a spec error, as
    ``"method": "gp"`` is, not a search whose first ask past the random start-up fails."""
    gp = METHODS["gp"]
    needs = (("hypermax_no_such_package", "no-such-package"),)
    monkeypatch.setitem(METHODS, "gp", MethodInfo("gp", gp.summary, gp.target, needs, extra="gp"))
    result = _validate(tmp_path, {"method": "auto", "auto": {"method": "gp"}})
    assert result.returncode == 2
    assert result.stderr == (
        'search.json: search.auto.method: "gp" needs no-such-package: pip install "hypermax[gp]"\n'
    )


def test_auto_says_what_it_runs_and_which_missing_extra_would_suit_the_space_better(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers alone, one trial at a time: ngopt would suit, gp next; without their extras
    ``auto`` runs tpe, and validate and the search's first line say so, naming the install."""
    needs = (("hypermax_no_such_package", "no-such-package"),)
    for name in ("gp", "ngopt"):
        info = METHODS[name]
        monkeypatch.setitem(
            METHODS, name, MethodInfo(name, info.summary, info.target, needs, extra=name)
        )
    missing = '"ngopt" needs no-such-package: pip install "hypermax[ngopt]"'
    result = _validate(tmp_path, {"method": "auto", "iterations": 1})
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"; here it starts with tpe, as {missing})\n")
    ran = run_cli_here("search.json", "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    first = ran.stdout.splitlines()[0]
    assert first.startswith(f"hypermax: search: auto (tpe, as {missing}), 1 trial, ")
    monkeypatch.undo()
    result = _validate(tmp_path, {"method": "auto", "auto": {"method": "tpe"}})
    assert result.stdout.endswith("; here it starts with tpe)\n")  # as fixed


def test_importing_the_optimizers_imports_no_backend() -> None:
    code = "import hypermax.optimizers, json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert not {"optuna", "torch", "nevergrad", "cmaes", "hyperopt"} & loaded


@pytest.mark.parametrize("method", ["tpe", "cmaes", "auto"])
def test_the_ends_of_a_log_scaled_range_are_taken_as_they_are(method: str) -> None:
    """A default at the very bound of a log-scaled number (exp(log(x)) is not always x)."""
    space = {
        "type": "object",
        "properties": {
            "l2": {"type": "number", "min": 1e-6, "max": 10, "scaling": "logarithmic"},
        },
    }
    low = dimension(Space(space).leaves()[0])
    assert low.value_bounds() == (1e-6, 10)
    optimizer = make_optimizer(method, Space(space), 1, {}, budget=Budget(10, 1))
    for trial_id, value in ((1, 1e-6), (2, 10.0)):
        proposal = optimizer.propose(trial_id, {"l2": value})
        optimizer.tell(finished(trial_id, proposal.internal, value))
    answer = optimizer.ask(3)
    assert isinstance(answer, Proposal) and 1e-6 <= answer.params["l2"] <= 10
