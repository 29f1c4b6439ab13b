"""Running trials: the runner seam and what runs a trial.

- ``base``: :class:`BaseRunner`, the seam the driver talks to; :func:`make_runner` builds one.
- ``local``: the runner for this machine: a host and a follower thread per trial.
- ``dask``: the runner for a Dask cluster (``cluster.scheduler``), its stops in ``dask_stops``;
  ``dask_worker``: its task, on a worker, and ``dask_worker_trials`` the trials a worker runs;
  ``dask_files``: the code and trial files that travel with it; the other ``dask_*`` modules
  (README's layout names each). Imported only then.
- ``trial_run``: one trial's life, from its files to its Outcome (``TrialRun``, ``run_trial``).
  Its parts: ``trial_plan``, what to run; ``trial_setup``, its files and command, made before
  it starts; ``trial_usage``, what its tree uses, held to its RAM limit; ``trial_control``,
  what is done to it while it runs (its limits enforced, its stop, its pause); ``trial_sweep``,
  what it leaves behind, killed and removed; ``trial_end``, how it ended, and its Outcome.
- ``host``: what the trials of a process share: watchdog monitor, output pump, guardian.
- ``launch``: how a trial's process starts, and how it ended; ``spawn``: what it runs;
  ``process_start``: a process started while a search runs (a trial's, a probe's), which no
  Ctrl-Z catches half-started, and short helpers (probes) run to their end;
  ``fresh``: a fresh interpreter's start, prepared once per process (``site``, byte code);
  ``tether``: its life tied to hypermax's; ``preload`` and ``forkserver``: trials forked from
  a server that imported the objective once (``forkserver_wire``: what passes between them).
- ``watchdog``, ``limits``, ``kill``: following a trial's tree, its limits, the kill ladder;
  ``shm``: what a killed trial left in /dev/shm.
- ``outcome``, ``output``, ``protocol``: its result and Outcome, its output, the wire format.
- ``child``: the bootstrap inside a ``python_function`` trial; ``guardian``, ``leftovers``:
  no trial outlives hypermax.

Nothing here imports anything heavy: the child bootstrap lives in this package.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this package

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.spec import Spec

__all__ = ["make_runner"]


def make_runner(spec: Spec) -> BaseRunner:
    """The runner for a search: tasks on the Dask cluster of the spec's ``cluster`` section,
    else trials as processes on this machine.

    On this machine, a ``python_function`` trial is forked from a server that imported the
    objective once (``function.preload``, on by default); an executable, or a function with
    ``preload: false``, starts as a fresh process.

    Example:
        >>> runner = make_runner(load_spec("search.json"))
        >>> runner.submit(proposal, trial_dir, log_path)
    """
    if spec.cluster is not None:
        from hypermax.execution.dask import DaskRunner

        return DaskRunner(spec.function, spec.folder, spec.cluster, spec.shown)
    from hypermax.errors import UsageError
    from hypermax.execution.launch import Launcher, SubprocessLauncher
    from hypermax.execution.local import LocalRunner
    from hypermax.execution.procfs import foreign_proc

    problem = foreign_proc()
    if problem is not None:  # it would take other processes for the trials', and signal them
        raise UsageError(f"hypermax: {problem}")

    function = spec.function
    launcher: Launcher = SubprocessLauncher()
    if function.type == "python_function" and function.preload:
        from hypermax.execution.preload import START_TIMEOUT, PreloadLauncher
        from hypermax.execution.spawn import preload_cwd

        timeout = function.auto_kill_max_time or START_TIMEOUT
        launcher = PreloadLauncher(preload_cwd(function, spec.folder), timeout)
    return LocalRunner(function, spec.folder, launcher=launcher, verdict_wait=_verdict_wait(spec))


def _verdict_wait(spec: Spec) -> float | None:
    """How long a trial waits for the verdict on each report: only when early stopping judges
    reports."""
    if spec.search.early_stopping.get("policy", "none") == "none":
        return None
    from hypermax.execution.reports import VERDICT_WAIT

    return VERDICT_WAIT
