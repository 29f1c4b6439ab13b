"""Run each trial as its own process on this machine, guarded by the watchdog.

Threads, and what each one does:

- the monitor (one per runner): every tick, one :class:`~hypermax.execution.watchdog.Watchdog`
  scan samples every trial's process tree and enforces the time and memory limits;
- the output pump (one per runner, :class:`~hypermax.execution.output.OutputPump`): carries every
  trial's stdout and stderr into its log file (capped) and picks reports and the result line out
  of stdout, never holding more than a chunk and one line in memory, and never waiting on a pipe
  that a leftover process holds open;
- one follower per trial: waits for the trial's main process to exit (``wait4``, which also gives
  its peak RSS and CPU time), kills whatever the trial left behind, then builds its Outcome.

No trial outlives hypermax: the trial's start ties its life to hypermax's (see
:mod:`~hypermax.execution.spawn`), and a :class:`~hypermax.execution.guardian.Guardian` process
kills what left the trial's process group.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.execution import procfs, protocol, spawn, watchdog
from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.execution.guardian import Guardian
from hypermax.execution.output import LogSink, OutputPump, Stream
from hypermax.trial import KillReason, LiveStats, Outcome, Proposal, Report, TrialState

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec

log = logging.getLogger("hypermax")

#: how long the output of an ended trial may take to reach end of file before it is cut off
OUTPUT_DRAIN_SECONDS = 2.0
#: result files larger than this are not read
RESULT_FILE_CAP_BYTES = 16 * 1024 * 1024
_TAIL_BYTES = 4096


# -- one running trial ----------------------------------------------------------------------
@dataclass
class _Trial:
    proposal: Proposal
    pid: int
    create_time: float
    log: LogSink
    scanner: protocol.StdoutScanner
    stderr_tail: bytearray
    streams: tuple[Stream, Stream]
    lifeline: int
    result_file: Path
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    kill: tuple[KillReason, float | None] | None = None
    kill_began: float | None = None
    exited: bool = False
    returncode: int | None = None
    ram_strikes: int = 0
    sampled_at: float = 0.0
    spawner_rss_mib: float = float("inf")
    peak_rss_mib: float = 0.0
    rss_mib: float = 0.0
    cpu_seconds: float = 0.0
    cpu_percent: float = 0.0
    processes: int = 1
    follower: threading.Thread | None = None
    tree: watchdog.ProcessTree | None = None


class LocalRunner(BaseRunner):
    """Trials as child processes of this one, each in its own session and process group.

    Args:
        function: the spec's ``function`` section.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start.
        tick: seconds between two watchdog samples.
    """

    def __init__(self, function: FunctionSpec, spec_folder: Path, tick: float = 0.1) -> None:
        self.function = function
        self.spec_folder = spec_folder.resolve()
        self.tick = tick
        self.limits = watchdog.Limits(
            function.auto_kill_max_time,
            function.auto_kill_max_ram,
            function.auto_kill_max_system_ram,
        )
        self._events: queue.Queue[RunnerEvent] = queue.Queue()
        self._trials: dict[int, _Trial] = {}
        self._lock = threading.Lock()
        self._guardian = Guardian()
        self._watchdog = watchdog.Watchdog(on_escape=self._guardian.escaped)
        self._pump: OutputPump | None = None
        self._monitor: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._system_strikes = 0

    # -- the seam -------------------------------------------------------------------------
    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        """Start the trial; when it cannot start, its failed Outcome is queued at once."""
        trial_dir = trial_dir.resolve()
        trial_dir.mkdir(parents=True, exist_ok=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        params_file = trial_dir / ".hypermax_params.json"
        result_file = trial_dir / ".hypermax_result.json"
        with contextlib.suppress(FileNotFoundError):
            result_file.unlink()
        params_file.write_text(json.dumps(proposal.params))
        token = uuid.uuid4().hex
        log = LogSink(log_path)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        life_read, life_write = os.pipe()
        env = spawn.trial_environment(
            self.function, self.spec_folder, proposal, trial_dir, params_file, result_file, token
        )
        env[protocol.LIFELINE_FD_ENV] = str(life_read)
        argv = spawn.trial_argv(self.function, self.spec_folder, proposal)
        own = procfs.read_proc(os.getpid())
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=spawn.trial_cwd(self.function, self.spec_folder, trial_dir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_write,
                stderr=err_write,
                pass_fds=(life_read,),
                start_new_session=True,
                preexec_fn=spawn.child_setup(os.getpid(), life_read),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            for fd in (out_read, err_read, life_write):
                os.close(fd)
            log.note(f"cannot start {argv[0]}: {exc}")
            log.close()
            self._events.put(
                Outcome(proposal.trial_id, TrialState.FAILED, reason=f"cannot start: {exc}")
            )
            return
        finally:
            for fd in (out_write, err_write, life_read):
                os.close(fd)
        trial = _Trial(
            proposal=proposal,
            pid=proc.pid,
            create_time=procfs.create_time(proc.pid),
            log=log,
            scanner=protocol.StdoutScanner(self._reporter(proposal.trial_id)),
            stderr_tail=bytearray(),
            streams=(Stream(out_read, log.write), Stream(err_read, log.write)),
            lifeline=life_write,
            result_file=result_file,
            started=started,
            spawner_rss_mib=own.rss / procfs.MIB if own is not None else float("inf"),
        )
        self._track(trial, token)
        self._start_follower(trial, proc)

    def poll(self, timeout: float) -> list[RunnerEvent]:
        events: list[RunnerEvent] = []
        try:
            events.append(self._events.get(timeout=timeout))
        except queue.Empty:
            return events
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        with self._lock:
            trial = self._trials.get(trial_id)
        if trial is not None:
            self._kill(trial, reason, None)

    def close(self) -> list[Outcome]:
        """Stop every running trial (as interrupted), wait for them, free the threads."""
        with self._lock:
            trials = list(self._trials.values())
        for trial in trials:
            self._kill(trial, KillReason.INTERRUPT, None)
        for trial in trials:
            if trial.follower is not None:
                trial.follower.join()
        self._stop.set()
        self._wake.set()
        if self._monitor is not None:
            self._monitor.join()
            self._monitor = None
        if self._pump is not None:
            self._pump.close()
            self._pump = None
        self._guardian.close()
        outcomes = []
        for event in self.poll(0):
            if isinstance(event, Outcome):
                outcomes.append(event)
            else:
                self._events.put(event)
        return outcomes

    def live(self) -> dict[int, LiveStats]:
        now = time.monotonic()
        with self._lock:
            return {
                tid: LiveStats(tid, now - t.started, t.rss_mib, t.cpu_percent, t.processes)
                for tid, t in self._trials.items()
            }

    def running(self) -> int:
        with self._lock:
            return len(self._trials)

    def process_ids(self, trial_id: int) -> tuple[int, float] | None:
        with self._lock:
            trial = self._trials.get(trial_id)
        return None if trial is None else (trial.pid, trial.create_time)

    # -- starting ---------------------------------------------------------------------------
    def _reporter(self, trial_id: int) -> Callable[[int, dict[str, Any]], None]:
        def on_report(step: int, metrics: dict[str, Any]) -> None:
            self._events.put(Report(trial_id, step, metrics))

        return on_report

    def _track(self, trial: _Trial, token: str) -> None:
        """Hand a started trial to the watchdog, the output pump and the monitor."""
        stdout, stderr = trial.streams
        scanner, tail = trial.scanner, trial.stderr_tail

        def to_stdout(data: bytes) -> None:
            trial.log.write(data)
            scanner.feed(data)

        def to_stderr(data: bytes) -> None:
            trial.log.write(data)
            tail.extend(data[-_TAIL_BYTES:])
            del tail[:-_TAIL_BYTES]

        stdout.sink, stderr.sink = to_stdout, to_stderr
        for stream in trial.streams:
            os.set_blocking(stream.fd, False)
        self._guardian.start()
        trial.tree = self._watchdog.watch(trial.proposal.trial_id, trial.pid, token)
        if trial.tree is not None:
            self._guardian.trial(trial.tree)
        first = self._watchdog.sample(trial.proposal.trial_id)  # a trial shorter than a tick
        if first is not None:
            trial.peak_rss_mib = first.peak_mib
        with self._lock:
            self._trials[trial.proposal.trial_id] = trial
            if self._pump is None:
                self._pump = OutputPump()
            pump = self._pump
        for stream in trial.streams:
            pump.add(stream)
        self._ensure_monitor()

    def _start_follower(self, trial: _Trial, proc: subprocess.Popen[bytes]) -> None:
        trial.follower = threading.Thread(
            target=self._follow,
            args=(trial, proc),
            name=f"hypermax-trial-{trial.proposal.trial_id}",
            daemon=True,
        )
        trial.follower.start()

    # -- watching ---------------------------------------------------------------------------
    def _ensure_monitor(self) -> None:
        with self._lock:
            if self._monitor is None or not self._monitor.is_alive():
                self._stop.clear()
                self._monitor = threading.Thread(
                    target=self._watch, name="hypermax-watchdog", daemon=True
                )
                self._monitor.start()
        self._wake.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                trials = list(self._trials.values())
            if not trials:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                self._look(trials)
            except Exception:  # a failed look must not end the watch over every trial
                log.exception("the watchdog's look at the trials failed; looking again")
            self._stop.wait(self._next_wait(trials))

    def _look(self, trials: list[_Trial]) -> None:
        """One tick: sample every tree, enforce every limit."""
        samples = self._watchdog.tick()
        for trial in trials:
            sample = samples.get(trial.proposal.trial_id)
            if sample is not None:
                self._check(trial, sample)
        if self.limits.max_system_ram_mib is not None:
            self._check_system(trials, procfs.system_used_mib())

    def _next_wait(self, trials: list[_Trial]) -> float:
        """A tick, or less when a time limit falls due sooner (so it is met to the millisecond)."""
        wait = self.tick
        if self.limits.max_time is not None:
            now = time.monotonic()
            for trial in trials:
                if trial.kill is None and not trial.exited:
                    wait = min(wait, trial.started + self.limits.max_time - now + 0.001)
        return max(wait, 0.001)

    def _check(self, trial: _Trial, sample: watchdog.TreeSample) -> None:
        now = time.monotonic()
        elapsed = now - trial.started
        since = now - (trial.sampled_at or trial.started)
        if since > 0 and sample.cpu_seconds >= trial.cpu_seconds:
            trial.cpu_percent = 100.0 * (sample.cpu_seconds - trial.cpu_seconds) / since
        trial.sampled_at = now
        trial.rss_mib = sample.rss_mib
        trial.cpu_seconds = max(trial.cpu_seconds, sample.cpu_seconds)
        trial.processes = sample.processes
        trial.peak_rss_mib = max(trial.peak_rss_mib, sample.peak_mib)
        if watchdog.time_breach(self.limits, elapsed):
            self._kill(trial, KillReason.TIME, elapsed)
            return
        trial.ram_strikes = watchdog.ram_strikes(self.limits, sample.rss_mib, trial.ram_strikes)
        if trial.ram_strikes >= watchdog.RAM_SAMPLES_TO_KILL:
            self._kill(trial, KillReason.RAM, sample.rss_mib)

    def _check_system(self, trials: list[_Trial], used_mib: float) -> None:
        """Over the machine's limit for a few samples: kill the trial with the largest tree."""
        limit = self.limits.max_system_ram_mib
        if limit is None or used_mib <= limit:
            self._system_strikes = 0
            return
        self._system_strikes += 1
        candidates = [t for t in trials if t.kill is None and not t.exited]
        if self._system_strikes >= watchdog.RAM_SAMPLES_TO_KILL and candidates:
            self._system_strikes = 0
            largest = max(candidates, key=lambda t: t.rss_mib)
            self._kill(largest, KillReason.SYSTEM_RAM, used_mib)

    def _kill(self, trial: _Trial, reason: KillReason, value: float | None) -> None:
        """Start killing the trial's tree (SIGTERM now, SIGKILL after the grace) in a thread."""
        with trial.lock:
            if trial.exited or trial.kill is not None:
                return
            trial.kill = (reason, value)
            trial.kill_began = time.monotonic()
        if reason not in (KillReason.INTERRUPT, KillReason.EARLY_STOP):
            trial.log.note(f"killed: {watchdog.kill_text(reason, value, self.limits)}")
        threading.Thread(
            target=self._watchdog.terminate,
            args=(trial.proposal.trial_id, self.function.kill_grace, trial.kill_began),
            name=f"hypermax-kill-{trial.proposal.trial_id}",
            daemon=True,
        ).start()

    # -- ending -----------------------------------------------------------------------------
    def _follow(self, trial: _Trial, proc: subprocess.Popen[bytes]) -> None:
        """From the main process's exit to the Outcome; runs in the trial's own thread.

        An Outcome is delivered whatever happens here: a trial is never lost to the driver.
        """
        trial_id = trial.proposal.trial_id
        try:
            outcome = self._end(trial, proc)
        except Exception as exc:  # a bug here must cost one trial, not the search
            reason = f"hypermax lost track of the trial: {type(exc).__name__}: {exc}"
            outcome = Outcome(trial_id, TrialState.FAILED, reason=reason)
        finally:
            self._watchdog.forget(trial_id)
            with self._lock:
                self._trials.pop(trial_id, None)
        self._events.put(outcome)

    def _end(self, trial: _Trial, proc: subprocess.Popen[bytes]) -> Outcome:
        """Reap the main process, kill what it left, read its output and result."""
        code, usage = _wait(trial.pid)
        proc.returncode = trial.returncode = code
        with trial.lock:
            trial.exited = True
        wall = time.monotonic() - trial.started
        if usage is not None:
            own_peak = _own_maxrss_mib(usage, trial.spawner_rss_mib)
            trial.peak_rss_mib = max(trial.peak_rss_mib, own_peak)
            trial.cpu_seconds = max(trial.cpu_seconds, usage.ru_utime + usage.ru_stime)
        trial_id = trial.proposal.trial_id
        leftovers = self._watchdog.terminate(trial_id, self.function.kill_grace, trial.kill_began)
        if leftovers and trial.kill is None:
            pids = ", ".join(str(p.pid) for p in leftovers)
            trial.log.note(f"the trial left {len(leftovers)} process(es) running: killed {pids}")
        os.close(trial.lifeline)
        if trial.tree is not None:
            self._guardian.ended(trial.tree)
        self._drain_output(trial)
        return self._outcome(trial, wall)

    def _drain_output(self, trial: _Trial) -> None:
        """Read the trial's output to its end; cut it off if a stray process holds it open."""
        deadline = time.monotonic() + OUTPUT_DRAIN_SECONDS
        for stream in trial.streams:
            if stream.ended.wait(max(0.0, deadline - time.monotonic())):
                continue
            if self._pump is not None:
                self._pump.cut(stream)
            stream.ended.wait(OUTPUT_DRAIN_SECONDS)
            trial.log.note(
                "stopped reading the trial's output: a process outside its tree still holds it"
            )
        trial.scanner.close()
        trial.log.close()

    def _outcome(self, trial: _Trial, wall: float) -> Outcome:
        code = trial.returncode
        common: dict[str, Any] = {
            "trial_id": trial.proposal.trial_id,
            "wall_time": wall,
            "cpu_time": trial.cpu_seconds,
            "peak_rss_mib": trial.peak_rss_mib,
            "exit_code": code,
        }
        if trial.kill is not None:
            return self._killed_outcome(trial.kill, common)
        result, problem = self._read_result(trial)
        if result is not None and protocol.ERROR_KEY in result:
            return Outcome(
                state=TrialState.FAILED, reason=str(result[protocol.ERROR_KEY]), **common
            )
        if code is not None and code != 0:
            reason = _exit_text(code, bytes(trial.stderr_tail))
            return Outcome(state=TrialState.FAILED, reason=reason, result=result, **common)
        if result is None:
            return Outcome(state=TrialState.FAILED, reason=problem, **common)
        return Outcome(state=TrialState.OK, result=result, **common)

    def _killed_outcome(
        self, kill: tuple[KillReason, float | None], common: dict[str, Any]
    ) -> Outcome:
        reason, value = kill
        if reason is KillReason.INTERRUPT:
            return Outcome(
                state=TrialState.INTERRUPTED, reason="interrupted", kill_reason=reason, **common
            )
        if reason is KillReason.EARLY_STOP:
            return Outcome(
                state=TrialState.STOPPED, reason="stopped early", kill_reason=reason, **common
            )
        return Outcome(
            state=TrialState.KILLED,
            reason=watchdog.kill_text(reason, value, self.limits),
            kill_reason=reason,
            kill_value=value,
            **common,
        )

    def _read_result(self, trial: _Trial) -> tuple[dict[str, Any] | None, str]:
        """The result file if the trial wrote one, else the last result line of its stdout."""
        try:
            size = trial.result_file.stat().st_size
        except OSError:
            size = -1
        if size > RESULT_FILE_CAP_BYTES:
            return None, f"the result file is larger than {RESULT_FILE_CAP_BYTES} bytes"
        if size >= 0:
            text = trial.result_file.read_text(errors="replace")
            try:
                value = json.loads(text)
            except ValueError:
                return None, f"the result file is not JSON: {_clip(text)}"
            result = protocol.normalise_result(value)
            if result is None:
                return None, f"the result is not a number or an object: {_clip(text)}"
            return result, ""
        if trial.scanner.result is not None:
            return trial.scanner.result, ""
        if self.function.type == "python_function":
            return None, "no result: the trial's process ended without returning from the function"
        return None, "no result: nothing on stdout parses as a number or a JSON object"


# -- helpers --------------------------------------------------------------------------------
def _wait(pid: int) -> tuple[int | None, Any]:
    """Reap the trial's main process: its return code and resource usage.

    (None, None) when something else in this process reaped it first (a library that waits for
    any child): the process is gone, but how it ended is not known.
    """
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return None, None
    return os.waitstatus_to_exitcode(status), usage


def _own_maxrss_mib(usage: Any, spawner_rss_mib: float) -> float:
    """The trial's peak RSS from ``wait4`` in MiB, or 0 when it says nothing about the trial.

    The kernel carries the high-water mark of the memory a process had before ``exec`` into its
    ``ru_maxrss``, and before ``exec`` a trial is a copy of hypermax. So the figure is the trial's
    own only when it is above what hypermax held when it started the trial.
    """
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    maxrss = float(usage.ru_maxrss) * scale / procfs.MIB
    return maxrss if maxrss > spawner_rss_mib + 2.0 else 0.0


def _exit_text(code: int, stderr_tail: bytes) -> str:
    """One line on how a failed process ended, with the last line of its stderr."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        text = f"ended by signal {name}"
    else:
        text = f"exit code {code}"
    last = _last_line(stderr_tail)
    return f"{text}: {last}" if last else text


def _last_line(data: bytes) -> str:
    for raw in reversed(data.splitlines()):
        line = raw.decode("utf-8", "replace").strip()
        if line and not line.startswith("[hypermax:"):
            return _clip(line)
    return ""


def _clip(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
