"""``auto_kill_max_system_ram`` kills the trial that holds the most memory of its own: its
tree's PSS, not its summed RSS, which counts each page its processes share once per process."""

from __future__ import annotations

from pathlib import Path

from fake_trials.helpers import FAKES, wait_until

from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import Proposal


def test_the_system_memory_victim_is_the_trial_with_the_most_memory_of_its_own(tmp_path: Path):
    function = FunctionSpec(
        type="python_function", module="shared_pages", name="train", parallel=2, kill_grace=0
    )
    runner = LocalRunner(function, FAKES, launcher=PreloadLauncher(str(FAKES)))
    try:
        for trial_id, role in ((1, "pool"), (2, "private")):
            folder = tmp_path / "trials" / str(trial_id)
            runner.submit(Proposal(trial_id, {"role": role}, {}), folder, tmp_path / f"{role}.log")
        for trial_id in (1, 2):
            ready = tmp_path / "trials" / str(trial_id) / "ready"
            wait_until(ready.exists, 30, f"trial {trial_id} ready")
        # the pool's tree is the larger by summed RSS: the shared pages once per process
        wait_until(lambda: _pool_rss_over_private(runner), 30, "the pool's workers in its RSS")
        victim = runner.host.heaviest()
        assert victim is not None and victim.trial_id == 2
    finally:
        runner.close()


def _pool_rss_over_private(runner: LocalRunner) -> bool:
    """Whether the summed RSS of the pool's tree (3 processes) is over the private trial's."""
    trees = sorted(
        (sample.processes, sample.rss_mib) for sample in runner.host.watchdog.tick().values()
    )
    return [count for count, _ in trees] == [1, 3] and trees[1][1] > trees[0][1] + 100
