"""What happens to a callable objective on its way to the trial processes."""

from __future__ import annotations

import threading

import pytest

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
