"""A trial the search's ``timeout`` or ``loss_threshold`` cuts short keeps the loss and step of
its last report that gives a loss: a training loss reported per batch after the epoch's
validation metric does not throw the epoch's loss away."""

from __future__ import annotations

from fake_trials.batch_then_hang import train

import hypermax


def test_a_cut_trial_keeps_the_loss_of_its_last_report_that_gives_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNAL_DIR", str(tmp_path))
    result = hypermax.optimize(
        train,
        space={"role": ["cut", "done"]},
        method="grid",
        parallel=2,
        metrics="val",
        kill_grace=0.5,
        results_dir=tmp_path / "results",
        search={"loss_threshold": 0.5},
    )
    assert result.reason == "loss threshold 0.5 reached"
    cut = next(t for t in result.trials if t["params"]["role"] == "cut")
    assert (cut["state"], cut["loss"], cut["step"]) == ("stopped", 0.7, 1)
    assert cut["metrics"] == {"val": 0.7}
    assert cut["reason"] == "stopped at step 1: loss threshold 0.5 reached"


def test_a_cut_trial_without_a_report_that_gives_a_loss_runs_again(tmp_path, monkeypatch):
    """Its reports carry only a training loss, which the loss does not need: it was recorded
    ``stopped`` without a loss, counted as failed and never run again; it is ``interrupted``,
    as a trial that never reported is, and a resume runs it."""
    monkeypatch.setenv("SIGNAL_DIR", str(tmp_path))
    monkeypatch.setenv("CUT_MODE", "batches")
    arguments = {
        "space": {"role": ["cut", "done"]},
        "method": "grid",
        "parallel": 2,
        "metrics": "val",
        "kill_grace": 0.5,
        "results_dir": tmp_path / "results",
        "search": {"loss_threshold": 0.5},
    }
    result = hypermax.optimize(train, **arguments)
    cut = next(t for t in result.trials if t["params"]["role"] == "cut")
    assert (cut["state"], cut["loss"]) == ("interrupted", None)
    monkeypatch.setenv("CUT_MODE", "finish")
    resumed = hypermax.optimize(train, **{**arguments, "search": {}})
    again = next(t for t in resumed.trials if t["params"]["role"] == "cut")
    assert (again["trial"], again["state"], again["loss"]) == (cut["trial"], "ok", 0.7)
