"""A trial the watchdog kills leaves nothing of its own in /dev/shm; what another program
made, or still uses, stays."""

from __future__ import annotations

import mmap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import fake, wait_until

from hypermax.execution.host import shared_host
from hypermax.execution.limits import Limits
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Proposal, TrialState

SHM = Path("/dev/shm")


@pytest.fixture
def other_segment() -> Iterator[str]:
    """A segment of another program, there before the trial starts (the trial maps it)."""
    name = f"hypermax_test_{uuid.uuid4().hex}"
    (SHM / name).write_bytes(b"\0" * 4096)
    yield name
    (SHM / name).unlink(missing_ok=True)


def _plan(folder: Path, other: str, **limits: float) -> TrialPlan:
    """The fake trial that makes a segment, maps ``other`` and sleeps, SIGKILLed when stopped
    (no grace: its resource tracker goes with it, and cannot unlink the segment either)."""
    function = FunctionSpec(
        type="executable",
        command=tuple(fake("shared_memory")),
        kill_grace=0,
        env={"OTHER_SEGMENT": other},
        **limits,  # type: ignore[arg-type]
    )
    trial_dir, log = folder / "trials" / "1", folder / "logs" / "trial_1.log"
    return TrialPlan(function, folder, Proposal(1, {}, {}), trial_dir, log)


def _made(folder: Path) -> Path:
    """The segment the trial made (named in its ``up`` file)."""
    return SHM / (folder / "trials" / "1" / "up").read_text()


def test_a_segment_of_a_killed_trial_is_removed(tmp_path, other_segment):
    run = TrialRun(shared_host(Limits()), _plan(tmp_path, other_segment))
    assert run.start()
    wait_until((tmp_path / "trials" / "1" / "up").exists, 30, "the trial's segment")
    made = _made(tmp_path)
    try:
        run.stop(KillReason.INTERRUPT)  # the kill ladder, as for a time or RAM limit
        outcome = run.finish()
        assert outcome.state is TrialState.INTERRUPTED
        assert not made.exists()
        assert (SHM / other_segment).exists()  # mapped by the trial, made before it started
        log = (tmp_path / "logs" / "trial_1.log").read_text()
        assert f"removed what its killed processes left in /dev/shm: {made.name}" in log
    finally:
        made.unlink(missing_ok=True)


def test_a_segment_of_a_stopped_trial_that_another_process_maps_is_kept(tmp_path, other_segment):
    run = TrialRun(shared_host(Limits()), _plan(tmp_path, other_segment))
    assert run.start()
    wait_until((tmp_path / "trials" / "1" / "up").exists, 30, "the trial's segment")
    made = _made(tmp_path)
    with made.open("r+b") as f, mmap.mmap(f.fileno(), 0) as view:  # as a trial beside it would
        run.stop(KillReason.INTERRUPT)
        outcome = run.finish()
        assert outcome.state is TrialState.INTERRUPTED
        assert made.exists() and view[:5] == b"hello"
    made.unlink()
    assert (SHM / other_segment).exists()
