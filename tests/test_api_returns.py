"""What an objective may be and return: an async def runs to its end."""

from __future__ import annotations

import asyncio
import functools

import pytest

import hypermax


async def fetch_score(params, reporter):
    await asyncio.sleep(0)
    reporter(1, loss=params["x"] + 1)
    return {"loss": params["x"], "awaited": True}


def test_an_async_objective_is_run_to_its_end_and_its_result_kept(tmp_path):
    result = hypermax.optimize(fetch_score, space={"x": [0.5]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["loss"] == 0.5 and trial["metadata"] == {"awaited": True}
    assert "never awaited" not in (tmp_path / "fetch_score" / "logs" / "trial_1.log").read_text()


def broken(params):
    raise RuntimeError(f"no data for x={params['x']}")


def test_the_result_of_a_search_whose_trials_all_failed_says_why(tmp_path):
    result = hypermax.optimize(broken, space={"x": [1]}, iterations=2, results_dir=tmp_path)
    assert result.best_params is None and result.best_loss is None
    log = tmp_path / "broken" / "logs" / "trial_2.log"
    assert repr(result).splitlines()[2:] == [
        f"  no trial produced a loss: every trial failed: RuntimeError: no data for x=1; "
        f"details in {log}"
    ]


def test_the_result_says_when_its_best_trial_is_one_a_warm_start_imported(tmp_path):
    """It read "best loss 0 (trial 1)", a trial of this search as far as it said, where the
    search's last line had said "(trial 1, imported from ...)"."""
    earlier = hypermax.optimize(
        lambda params: 0.0, space={"x": [1]}, iterations=1, name="a", results_dir=tmp_path
    )
    warm_start = str(earlier.folder / "results.csv")
    result = hypermax.optimize(
        lambda params: 1.0,
        space={"x": [1]},
        iterations=1,
        name="b",
        results_dir=tmp_path,
        search={"warm_start": warm_start},
    )
    assert result.best["state"] == "imported"
    assert repr(result).splitlines()[2] == "  best loss 0 (trial 1, imported)"


def cross_validated(params):
    """As ``pd.DataFrame(cross_validate(...)).mean()`` returns: a Series of named scores."""
    import pandas as pd

    return pd.Series({"test_score": params["x"], "fit_time": 0.5})


def test_a_pandas_series_of_named_values_is_a_dict_of_metrics(tmp_path):
    result = hypermax.optimize(
        cross_validated,
        space={"x": [0.8]},
        iterations=1,
        metrics="test_score:max",
        results_dir=tmp_path,
    )
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["metrics"] == {"test_score": 0.8} and trial["metadata"] == {"fit_time": 0.5}


def forgot_to_return(params):
    params["x"] ** 2  # the return it lacks


def test_an_objective_that_returns_none_is_told_so(tmp_path):
    result = hypermax.optimize(
        forgot_to_return, space={"x": [2]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials
    assert trial["state"] == "failed"
    assert trial["reason"] == (
        "the function returned None (no return statement?): return the loss, or a dict of metrics"
    )


def timed(fn):
    """A decorator as most are written (``torch.no_grad()`` too): ``*args, **kwargs`` through."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@timed
def decorated(params, reporter):
    reporter(1, loss=params["x"])
    return params["x"]


def test_a_decorated_objective_gets_the_reporter_its_own_signature_asks_for(tmp_path):
    result = hypermax.optimize(decorated, space={"x": [0.5]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["loss"] == 0.5 and trial["step"] == 1


def yields(params):
    for step in range(3):
        yield {"loss": params["x"] / (step + 1)}


async def yields_awaiting(params):
    yield params["x"]


def test_an_objective_that_yields_is_told_to_return_instead(tmp_path):
    for objective in (yields, yields_awaiting):
        result = hypermax.optimize(objective, space={"x": [2]}, iterations=1, results_dir=tmp_path)
        (trial,) = result.trials
        assert trial["state"] == "failed"
        assert trial["reason"] == (
            "the function is a generator (it yields): return the loss, or a dict of metrics; "
            "report progress with its reporter or hypermax.report"
        )


def per_class(params):
    import numpy as np

    labels = np.unique([2, 0, 1, 0])  # numpy integers: keys json cannot write as they are
    return {
        "loss": params["x"],
        "f1": dict(zip(labels, [0.9, 0.8, 0.7], strict=True)),
        "pairs": {(0, 1): 2},
    }


def test_a_result_whose_keys_are_numpy_numbers_or_tuples_keeps_them_as_json_can(tmp_path):
    result = hypermax.optimize(per_class, space={"x": [0.25]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["metadata"] == {"f1": {"0": 0.9, "1": 0.8, "2": 0.7}, "pairs": {"(0, 1)": 2}}


def holds_itself(params):
    result = {"loss": params["x"]}
    result["self"] = result
    return result


def test_a_result_that_holds_itself_fails_its_trial_saying_so(tmp_path):
    result = hypermax.optimize(holds_itself, space={"x": [1]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "failed"
    assert trial["reason"] == (
        "the result cannot be written as JSON: ValueError: Circular reference detected"
    )


class Unshowable:
    """A value whose own ``__repr__`` raises, as a half-built object's can."""

    def __repr__(self):
        raise RuntimeError("not built yet")


def holds_an_unshowable(params):
    return {"loss": params["x"], "model": Unshowable()}


def test_a_result_that_cannot_be_shown_fails_its_trial_saying_so(tmp_path):
    result = hypermax.optimize(
        holds_an_unshowable, space={"x": [1]}, iterations=1, results_dir=tmp_path
    )
    (trial,) = result.trials
    assert trial["state"] == "failed"
    assert trial["reason"] == ("the result cannot be written as JSON: RuntimeError: not built yet")
    log = (tmp_path / "holds_an_unshowable" / "logs" / "trial_1.log").read_text()
    assert "in __repr__" in log  # where it raised


class AttributeDict(dict):
    """As addict's Dict (mmcv's ConfigDict): an attribute it lacks is an empty one."""

    def __getattr__(self, name):
        return AttributeDict()


def configured(params):
    return AttributeDict(loss=params["x"], accuracy=0.5)


def test_a_dict_that_answers_any_attribute_is_a_dict_of_metrics(tmp_path):
    result = hypermax.optimize(configured, space={"x": [0.25]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["loss"] == 0.25 and trial["metadata"] == {"accuracy": 0.5}


def with_tensors(params):
    import torch

    return {"loss": torch.tensor(params["x"]), "weights": torch.ones(3), "grid": torch.eye(2)}


def test_torch_tensors_among_the_returned_values_are_kept_as_numbers_and_lists(tmp_path):
    """A tensor of more than one element (its ``item()`` raises RuntimeError, where a numpy
    array's raises ValueError) failed the trial: ``the result cannot be written as JSON``."""
    pytest.importorskip("torch")
    result = hypermax.optimize(with_tensors, space={"x": [0.5]}, iterations=1, results_dir=tmp_path)
    (trial,) = result.trials
    assert trial["state"] == "ok", trial["reason"]
    assert trial["loss"] == 0.5
    assert trial["metadata"] == {"weights": [1.0, 1.0, 1.0], "grid": [[1.0, 0.0], [0.0, 1.0]]}
