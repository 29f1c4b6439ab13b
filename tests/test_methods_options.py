"""What schema.json cannot check of method options, numbers with a step and names with dots:
spec errors, one line each with the JSON path."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from conftest import quadratic

from hypermax.errors import SpecError
from hypermax.spec import spec_from_dict

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

needs_nevergrad = pytest.mark.skipif(
    importlib.util.find_spec("nevergrad") is None, reason="ngopt needs nevergrad"
)


def spec(search: dict[str, Any], x: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": x or {"type": "number", "min": 0, "max": 1}},
        },
        "function": quadratic(),
        "search": {"iterations": 3, **search},
    }


@pytest.mark.parametrize(
    ("doc", "line"),
    [
        pytest.param(
            spec({"method": "ngopt", "ngopt": {"optimizer": "ngopt"}}),
            'search.ngopt.optimizer: nevergrad has no optimizer "ngopt" (did you mean NGOpt, ',
            marks=needs_nevergrad,
            id="ngopt",
        ),
        pytest.param(
            spec({"method": "auto", "auto": {"ngopt": {"optimizer": "NoSuchOptimizer"}}}),
            'search.auto.ngopt.optimizer: nevergrad has no optimizer "NoSuchOptimizer"',
            marks=needs_nevergrad,
            id="auto",
        ),
        pytest.param(
            spec({"method": "cmaes", "cmaes": {"popsize": 10**12}}),
            "search.cmaes.popsize: must be at most 10000, got 1000000000000",
            id="cmaes-popsize",
        ),
        pytest.param(
            spec({"method": "tpe", "tpe": {"n_EI_candidates": 10**12}}),
            "search.tpe.n_EI_candidates: must be at most 100000, got 1000000000000",
            id="tpe-candidates",
        ),
        pytest.param(
            spec({"method": "hyperopt_tpe", "hyperopt_tpe": {"n_EI_candidates": 10**12}}),
            "search.hyperopt_tpe.n_EI_candidates: must be at most 100000, got 1000000000000",
            id="hyperopt_tpe-candidates",
        ),
        pytest.param(
            spec({}, {"type": "number", "min": 3.2, "max": 3.8, "rounding": 1}),
            "hyperparameters.properties.x.rounding: no multiple of 1 lies between min (3.2) "
            "and max (3.8)",
            id="rounding",
        ),
        pytest.param(
            spec({}, {"type": "integer", "min": 0.2, "max": 0.8}),
            "hyperparameters.properties.x: no whole number lies between min (0.2) and max (0.8)",
            id="integer",
        ),
        pytest.param(
            spec({}, {"type": "integer", "min": 1e-12, "max": 0.4}),
            "hyperparameters.properties.x: no whole number lies between min (1e-12) and max (0.4)",
            id="integer-above-0",  # 0 is 1e-12 below min: a few steps off, but off
        ),
        pytest.param(
            spec({}, {"type": "number", "min": 1e-12, "max": 0.4, "rounding": 1}),
            "hyperparameters.properties.x.rounding: no multiple of 1 lies between min (1e-12) "
            "and max (0.4)",
            id="rounding-above-0",
        ),
        pytest.param(
            spec({}, {"type": "number", "min": -0.4, "max": -1e-12, "rounding": 1}),
            "hyperparameters.properties.x.rounding: no multiple of 1 lies between min (-0.4) "
            "and max (-1e-12)",
            id="rounding-below-0",
        ),
        pytest.param(
            {
                **spec({}),
                "hyperparameters": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "object", "properties": {"b": {"enum": [1, 2]}}},
                        "a.b": {"type": "number", "min": 0, "max": 1},
                        "c.d": {"type": "number", "min": 0, "max": 1},  # no "c": a name
                    },
                },
            },
            'hyperparameters.properties.a.b: "a.b" is also the dotted path of another '
            "parameter: rename one of them",
            id="dotted-name",
        ),
        pytest.param(  # a constant is in the params and the tables too: its value was lost
            {
                **spec({}),
                "hyperparameters": {
                    "type": "object",
                    "properties": {
                        "a.b": {"const": 1},
                        "a": {
                            "type": "object",
                            "properties": {"b": {"type": "number", "min": 0, "max": 1}},
                        },
                    },
                },
            },
            'hyperparameters.properties.a.b: "a.b" is also the dotted path of another '
            "parameter: rename one of them",
            id="dotted-name-of-a-constant",
        ),
    ],
)
def test_a_spec_error(tmp_path: Path, doc: dict[str, Any], line: str) -> None:
    """They used to pass validation: an unknown nevergrad optimizer then ended the run with
    "unexpected error: KeyError", a range without a multiple of its step ran a value outside it
    (3, or 0), and two parameters of one dotted path ended the run with "unexpected error:
    ValueError: Cannot set different distribution kind to the same parameter name"; a CMA-ES
    generation of 10**12 trials hung the search in its first ask, and as many TPE candidates
    ended it with "unexpected error: MemoryError"."""
    with pytest.raises(SpecError) as caught:
        spec_from_dict(doc, tmp_path / "search.json")
    assert caught.value.exit_code == 2
    assert [text.startswith(f"search.json: {line}") for text in caught.value.lines()] == [True]


@needs_nevergrad
def test_a_nevergrad_optimizer_that_runs_one_trial_at_a_time_is_refused_in_parallel(
    tmp_path: Path,
) -> None:
    """COBYLA with 3 trials at a time ended the search as an unexpected error (nevergrad's
    ValueError, with its ignored AttributeError's traceback on stderr), at the first ask."""

    def problems(parallel: int, search: dict[str, Any]) -> list[str]:
        doc = spec(search)
        doc["function"]["parallel"] = parallel
        try:
            spec_from_dict(doc, tmp_path / "search.json")
        except SpecError as exc:
            return exc.lines()
        return []

    assert problems(3, {"method": "ngopt", "ngopt": {"optimizer": "Cobyla"}}) == [
        'search.json: search.ngopt.optimizer: nevergrad\'s "Cobyla" runs one trial at a time, '
        "and function.parallel is 3: set it to 1, or name another optimizer"
    ]
    fixed = {"method": "auto", "auto": {"method": "ngopt", "ngopt": {"optimizer": "Cobyla"}}}
    assert [line.split(": ")[1] for line in problems(2, fixed)] == ["search.auto.ngopt.optimizer"]
    # one at a time, or by an auto that runs ngopt one at a time only, it runs
    assert problems(1, {"method": "ngopt", "ngopt": {"optimizer": "Cobyla"}}) == []
    assert problems(3, {"method": "auto", "auto": {"ngopt": {"optimizer": "Cobyla"}}}) == []
    assert problems(3, {"method": "ngopt", "ngopt": {"optimizer": "DE"}}) == []
    # BAR4, a portfolio of optimizers that run one at a time, is not marked so: building it for
    # 3 trials at a time divides by zero, an unexpected error at the first ask
    assert problems(3, {"method": "ngopt", "ngopt": {"optimizer": "BAR4"}}) == [
        'search.json: search.ngopt.optimizer: nevergrad cannot build "BAR4" for 3 trials, 3 at '
        "a time (ZeroDivisionError: integer division or modulo by zero): name another "
        "optimizer, or change function.parallel"
    ]
    assert problems(1, {"method": "ngopt", "ngopt": {"optimizer": "BAR4"}}) == []


@needs_nevergrad
def test_a_nevergrad_optimizer_by_its_registry_name_is_accepted(tmp_path: Path) -> None:
    loaded = spec_from_dict(
        spec({"method": "ngopt", "ngopt": {"optimizer": "CMA"}}), tmp_path / "search.json"
    )
    assert loaded.search.options == {"optimizer": "CMA"}


@needs_nevergrad
@pytest.mark.parametrize("optimizer", ["NLOPT_LN_SBPLX", "SMAC3", "FCMA", "AXP"])
def test_a_nevergrad_optimizer_whose_package_is_missing_ends_the_run_with_one_line(
    tmp_path: Path, optimizer: str
) -> None:
    """All are in nevergrad's registry, so the spec is valid, but they import nlopt,
    ConfigSpace, fcmaes and ax (not installed here) as they are built or asked: that ended the
    search with "unexpected error: ModuleNotFoundError" (FCMA's "ImportError: Please install
    fcmaes") and a traceback in the log; AXP printed "Pb for creating AX solver" on the
    terminal too, which is a line of the log now."""
    missing = {"NLOPT_LN_SBPLX": "nlopt", "SMAC3": "ConfigSpace", "FCMA": "fcmaes", "AXP": "ax"}[
        optimizer
    ]
    if importlib.util.find_spec(missing) is not None:
        pytest.skip(f"{missing} is installed")
    result = _ngopt_run(tmp_path, {"optimizer": optimizer})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f'hypermax: nevergrad\'s optimizer "{optimizer}" needs the module "{missing}", which '
        "is not installed: install it, or name another optimizer"
    )
    assert "Pb for" not in result.stdout + result.stderr
    if optimizer == "AXP":
        log = next((tmp_path / "results").glob("*/logs/hypermax.log")).read_text()
        assert "WARNING nevergrad printed: Pb for creating AX solver" in log


@needs_nevergrad
def test_a_nevergrad_optimizer_that_fails_on_the_space_ends_the_run_with_one_line(
    tmp_path: Path,
) -> None:
    """RotatedRecombiningGA on one number asks numpy for an integer of an empty range at its
    fourth ask: that ended the search as hypermax's "unexpected error: ValueError: low >=
    high". It is nevergrad's optimizer that cannot search this space: the line names it."""
    result = _ngopt_run(tmp_path, {"optimizer": "RotatedRecombiningGA"}, seed=1, iterations=20)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        'hypermax: nevergrad\'s optimizer "RotatedRecombiningGA" failed on this search '
        "(ValueError: low >= high): name another optimizer"
    )


def _ngopt_run(tmp_path: Path, options: dict[str, Any], **search: Any) -> Any:
    """``hypermax search.json`` for an ngopt search with ``options`` over one number."""
    import json

    from conftest import run_hypermax_here

    doc = spec({"method": "ngopt", "ngopt": options, **search})
    doc["results"] = {"directory": str(tmp_path / "results")}
    path = tmp_path / "search.json"
    path.write_text(json.dumps(doc))
    return run_hypermax_here(path)
