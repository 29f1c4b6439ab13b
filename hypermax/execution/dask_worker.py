"""What runs on a Dask worker: each trial is one task, run under the worker's own watchdog.

:func:`run_attempt` is the task. It first claims the attempt in the scheduler's metadata, under
the runner's topic (:func:`claim_path`): when Dask runs a task again because the worker running
it died, or runs a task it was told to forget, the new run finds the claim and returns the trial
``interrupted`` at once, so that hypermax, not Dask, decides whether the trial runs again (and
journals each loss). The claims are not the task's own metadata, which Dask drops with the task:
a run that starts as the task is forgotten would find nothing there. Then the task places the
trial's code and files (see :mod:`.dask_files`) and runs the trial as a
:class:`~hypermax.execution.trial_run.TrialRun` on the host this worker process shares among its
trials: the same launcher, watchdog, limits and kill ladder as on hypermax's own machine, one
process tree per task.

While a trial runs (a :class:`~hypermax.execution.dask_worker_trials.RunningTrial`), its start,
its reports and a look at it every second travel to the runner as Dask events on the runner's
topic (``Worker.log_event``): they never block the trial's output thread, and they arrive in
order and before the task's result, which travels the same stream. The runner stops a trial with
:func:`~hypermax.execution.dask_worker_trials.stop_trial`, run on its worker through
``Client.run``; a trial whose task was cancelled (its client went away: Ctrl-C, a crash, a lost
scheduler) is stopped by the worker's own watcher thread.
"""

from __future__ import annotations

import operator
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import get_client, get_worker

from hypermax.execution import dask_files
from hypermax.execution.dask_files import CodeBundle, TrialFiles
from hypermax.execution.dask_worker_trials import (
    LastReport,
    RunningTrial,
    ensure_watcher,
    running_here,
)
from hypermax.execution.host import TrialHost, borrowed_host
from hypermax.execution.limits import Limits
from hypermax.execution.outcome import Ending, trial_outcome
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.execution.trial_setup import FolderUnwritable
from hypermax.trial import KillReason, Outcome, TrialState

if TYPE_CHECKING:
    from distributed import Worker


@dataclass(frozen=True)
class TrialTask:
    """One attempt at a trial, as a Dask task receives it.

    Attributes:
        plan: the trial, with the paths of hypermax's machine.
        key: the attempt's Dask key (a trial that runs again gets a new one).
        topic: the Dask event topic the runner listens on.
        probe: (path, token) of the runner's probe in the results folder, or None.
        code: the ``python_function``'s code, or None.
    """

    plan: TrialPlan
    key: str
    topic: str
    probe: tuple[str, str] | None = None
    code: CodeBundle | None = None


@dataclass(frozen=True)
class TaskResult:
    """What a task returns: the Outcome, the worker, the files sent back (None: in place), and
    the trial's last report (a live message the runner may not have heard, being stopped)."""

    outcome: Outcome
    worker: str
    files: TrialFiles | None = None
    last_report: LastReport | None = None


def claim_path(topic: str, key: str) -> list[str]:
    """Where the scheduler's metadata holds the claim (or stop mark) of attempt ``key``."""
    return [topic, key]


def lost_text(worker: str | None) -> str:
    """The reason of a trial lost with its worker."""
    return f"lost with its Dask worker {worker or '(unknown)'}"


# -- the task -------------------------------------------------------------------------------
def task_payload(task: TrialTask) -> bytes:
    """The attempt as Dask sends it: bytes whose unpickling runs :func:`run_attempt` (submit
    ``pickle.loads`` with them). Dask reads a task's function and arguments as it receives the
    task, and a worker that cannot import them (no hypermax there) drops its connection and
    ends, leaving the trial waiting for ever; read inside the task, the import error fails the
    task instead, and the runner says what is missing.

    Before it runs the attempt, the unpickling checks the worker's hypermax is this one's
    version (:class:`_SameVersion`), with Python's own functions only: a worker with another
    hypermax may lack the very functions the attempt names, or run them otherwise."""
    return pickle.dumps(_Second((_SameVersion(), _Call(task))))


class _Second:
    """Unpickles as the second item of ``pair``, once the first was unpickled (checked)."""

    def __init__(self, pair: tuple[Any, Any]) -> None:
        self.pair = pair

    def __reduce__(self) -> tuple[Any, tuple[tuple[Any, Any]]]:
        return operator.itemgetter(1), (self.pair,)


class _SameVersion:
    """Unpickles as a check that the worker runs this machine's hypermax version: a
    ``RuntimeError`` saying which it runs, if not."""

    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, Any]]]:
        from hypermax import __version__

        code = (
            "import hypermax\n"
            f"if hypermax.__version__ != {__version__!r}:\n"
            "    from distributed import get_worker\n"
            "    raise RuntimeError(\n"
            "        f'Dask worker {get_worker().address} runs hypermax {hypermax.__version__}, '\n"
            f"        'this machine {__version__}: install the same hypermax on every worker'\n"
            "    )\n"
        )
        return exec, (code, {})


class _Call:
    def __init__(self, task: TrialTask) -> None:
        self.task = task

    def __reduce__(self) -> tuple[Any, tuple[TrialTask]]:
        return run_attempt, (self.task,)


def run_attempt(task: TrialTask) -> TaskResult:
    """Run one attempt at a trial on this worker; never raises for the trial."""
    worker = get_worker()
    address = str(worker.address)
    refusal = _claim(task, address)
    if refusal is not None:
        return TaskResult(refusal, address)
    in_place = task.probe is not None and dask_files.reads_probe(task.probe)
    scratch = None if in_place else Path(worker.local_directory, "hypermax-trials", task.key)
    plan = task.plan
    running = RunningTrial(task, worker, in_place)
    try:
        plan = _worker_plan(task, worker, scratch)
        outcome = _run(running, plan)
    except Exception as exc:  # placing code or files failed: the trial fails, not the worker
        why = f"cannot run the trial: {type(exc).__name__}: {exc}"
        if isinstance(exc, FolderUnwritable):  # as this worker sees it; worded as on hypermax's
            why = f"cannot prepare the trial's files: {exc.filename}: cannot be written: "
            why += str(exc.strerror)
        outcome = Outcome(
            task.plan.proposal.trial_id, TrialState.FAILED, reason=why, ended_at=time.time()
        )
    if outcome.state is TrialState.FAILED:
        outcome = replace(outcome, reason=f"{outcome.reason} (on Dask worker {address})")
    if scratch is None:
        return TaskResult(outcome, address, last_report=running.last_report)
    try:
        files = dask_files.gather_files(plan.trial_dir, plan.log_path, scratch)
    except OSError as exc:  # the outcome still goes back
        files = TrialFiles(f"\n[hypermax: cannot send the trial's files back: {exc}]\n".encode())
    return TaskResult(outcome, address, files, running.last_report)


def _claim(task: TrialTask, address: str) -> Outcome | None:
    """Claim the attempt for this run of its task; the Outcome to return instead, if any.

    An attempt that another run already claimed was lost with that run's worker; one the runner
    stopped before it started ends as stopped (or interrupted) without running. The claim is
    read back once made: the runner marks an attempt stopped only where it finds no claim, and
    its mark may have come between the first look and the claim; then its task is cancelled,
    and the trial must not run.
    """
    where = claim_path(task.topic, task.key)
    trial_id = task.plan.proposal.trial_id
    try:
        client = get_client()
        seen = client.get_metadata(where, default=None)
        if not isinstance(seen, dict):
            client.set_metadata([*where, "worker"], address)
            seen = client.get_metadata(where, default=None)
            if not isinstance(seen, dict) or "stop" not in seen:
                return None
    except Exception as exc:  # unclaimed, the trial must not run: the driver decides again
        return _interrupted(trial_id, f"worker {address} cannot reach the scheduler: {exc}")
    if "stop" in seen:
        return not_run(task.plan, KillReason(seen["stop"]))
    return _interrupted(trial_id, lost_text(seen.get("worker")))


def _interrupted(trial_id: int, reason: str) -> Outcome:
    return Outcome(
        trial_id,
        TrialState.INTERRUPTED,
        reason=reason,
        kill_reason=KillReason.INTERRUPT,
        ended_at=time.time(),
    )


def not_run(plan: TrialPlan, reason: KillReason) -> Outcome:
    """The Outcome of a trial stopped before it started: as if stopped at once."""
    return trial_outcome(
        Ending(
            trial_id=plan.proposal.trial_id,
            trial_dir=plan.trial_dir,
            result_file=plan.trial_dir,
            stdout_result=None,
            stderr_tail=b"",
            function_type=plan.function.type,
            kill=(reason, None),
            limits=Limits.of(plan.function),
            wall_time=0.0,
            cpu_time=0.0,
            peak_rss_mib=0.0,
            exit_code=None,
            ended_at=time.time(),
        )
    )


def _worker_plan(task: TrialTask, worker: Worker, scratch: Path | None) -> TrialPlan:
    """The plan with this worker's paths: its copy of the code, its scratch folder."""
    plan = task.plan
    if task.code is not None:
        folder, src = dask_files.place_code(
            task.code, Path(worker.local_directory, "hypermax-code")
        )
        function = plan.function
        cwd = str((plan.spec_folder / function.cwd).resolve()) if function.cwd else None
        plan = replace(plan, spec_folder=folder, function=replace(function, src=src, cwd=cwd))
    if scratch is not None:
        plan = replace(plan, trial_dir=scratch / "trial", log_path=scratch / "trial.log")
    return plan


def _run(running: RunningTrial, plan: TrialPlan) -> Outcome:
    with borrowed_host(Limits.of(plan.function)) as host:
        return _run_on(host, running, plan)


def _run_on(host: TrialHost, running: RunningTrial, plan: TrialPlan) -> Outcome:
    run = running.run = TrialRun(host, plan, running.report)
    with running_here(running):
        where = f"trial {plan.proposal.trial_id} runs on Dask worker {running.worker.address}"
        if not running.announce():  # the worker closes: the trial is lost with it, unstarted
            dask_files.append_note(plan.log_path, where)
            return _interrupted(plan.proposal.trial_id, lost_text(running.worker.address))
        if run.start(note=where):  # noted after why it runs again, if it does
            running.begin()
            pid, create_time = run.process_ids() or (None, None)
            running.send({"kind": "started", "pid": pid, "create_time": create_time})
            ensure_watcher()
        return run.finish()


def worker_facts(dask_worker: Worker) -> dict[str, Any]:
    """What ``hypermax validate --connect`` asks of each worker (through ``Client.run``): its
    hypermax, its Python, the resources it offers and its status (``paused``: it takes no
    task)."""
    from hypermax import __version__

    return {
        "hypermax": __version__,
        "python": sys.version.split()[0],
        "resources": dict(dask_worker.state.total_resources),
        "status": getattr(dask_worker.status, "name", str(dask_worker.status)),
    }


def finds_module(module: str, dask_worker: Worker) -> bool:
    """Whether a trial on this worker finds ``module`` (a module that is the workers' to have),
    looked for without importing it: asked by ``hypermax validate --connect``."""
    from hypermax.specfile.function import module_origin

    return module_origin(module, Path(dask_worker.local_directory)) is not None
