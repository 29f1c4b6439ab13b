"""``auto_kill_max_system_ram`` kills the trial that holds the most memory of its own: its
tree's PSS, not its summed RSS, which counts each page its processes share once per process."""

from __future__ import annotations

import sys
from pathlib import Path

from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

from hypermax.execution.limits import RAM_SAMPLES_TO_KILL
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Proposal


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


#: 40 MiB of its own; it ignores SIGTERM, so its kill lasts its whole kill_grace
HOLDS_AND_IGNORES_SIGTERM = """
import os, pathlib, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
own = bytearray(b"x") * (40 << 20)
pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "ready").touch()
time.sleep(60)
"""


def test_a_trial_being_killed_for_the_system_limit_counts_as_the_memory_it_will_free(
    tmp_path: Path, marker: str
) -> None:
    script = tmp_path / "holds.py"
    script.write_text(HOLDS_AND_IGNORES_SIGTERM)
    limit = 10**9  # MiB: the machine's own figure never reaches it; the test gives its own
    function = FunctionSpec(
        type="executable",
        command=(sys.executable, str(script)),
        parallel=2,
        kill_grace=1.0,
        auto_kill_max_system_ram=limit,
        env={MARKER_ENV: marker},
    )
    runner = LocalRunner(function, tmp_path)
    logs = {trial_id: tmp_path / f"{trial_id}.log" for trial_id in (1, 2)}

    def killed() -> list[int]:
        return [i for i, log in logs.items() if "killed: system memory limit" in log.read_text()]

    try:
        for trial_id, log in logs.items():
            runner.submit(Proposal(trial_id, {}, {}), tmp_path / "trials" / str(trial_id), log)
        for trial_id in logs:
            wait_until((tmp_path / "trials" / str(trial_id) / "ready").exists, 30, "ready")
        # 20 MiB over: one trial's 40 MiB brings it back, and it takes one kill, not two, though
        # the first is still dying (its SIGTERM ignored, for the 1 s of its grace)
        wait_until(lambda: runner.host._check_system(limit + 20) or killed(), 5, "a victim")
        for _ in range(3 * RAM_SAMPLES_TO_KILL):
            runner.host._check_system(limit + 20)
        assert len(killed()) == 1
        # 200 MiB over: what the first holds is not enough, and the other trial goes too
        wait_until(lambda: runner.host._check_system(limit + 200) or len(killed()) == 2, 5, "2")
    finally:
        runner.close()
    assert_none_alive(marker)


def test_a_trial_being_killed_for_another_reason_counts_as_the_memory_it_will_free(
    tmp_path: Path, marker: str
) -> None:
    """A trial stopped early (or at its time limit) that ignores SIGTERM holds its memory for
    its grace, and then gives it back: the other trial is not killed for the system limit."""
    script = tmp_path / "holds.py"
    script.write_text(HOLDS_AND_IGNORES_SIGTERM)
    limit = 10**9  # MiB: the machine's own figure never reaches it; the test gives its own
    function = FunctionSpec(
        type="executable",
        command=(sys.executable, str(script)),
        parallel=2,
        kill_grace=0.5,
        auto_kill_max_system_ram=limit,
        env={MARKER_ENV: marker},
    )
    runner = LocalRunner(function, tmp_path)
    logs = {trial_id: tmp_path / f"{trial_id}.log" for trial_id in (1, 2)}
    try:
        for trial_id, log in logs.items():
            runner.submit(Proposal(trial_id, {}, {}), tmp_path / "trials" / str(trial_id), log)
        for trial_id in logs:
            wait_until((tmp_path / "trials" / str(trial_id) / "ready").exists, 30, "ready")
        runner.cancel(1, KillReason.EARLY_STOP)
        wait_until(lambda: "SIGTERM to" in logs[1].read_text(), 5, "trial 1's SIGTERM")
        # 20 MiB over: trial 1's 40 MiB, on its way back, bring it back under
        for _ in range(3 * RAM_SAMPLES_TO_KILL):
            runner.host._check_system(limit + 20)
        assert "system memory limit" not in logs[2].read_text()
    finally:
        runner.close()
    assert_none_alive(marker)
