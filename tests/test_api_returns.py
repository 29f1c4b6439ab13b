"""What an objective may be and return: an async def runs to its end."""

from __future__ import annotations

import asyncio

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
