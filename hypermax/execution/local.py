"""Run each trial as its own process on this machine, guarded by the watchdog.

Threads, and what each one does:

- the monitor (one per runner): every tick, one :class:`~hypermax.execution.watchdog.Watchdog`
  scan samples every trial's process tree and enforces the time and memory limits;
- the output pump (one per runner): carries every trial's stdout and stderr into its log file
  (capped) and picks reports and the result line out of stdout, never holding more than a chunk
  and one line in memory, and never waiting on a pipe that a leftover process holds open;
- one follower per trial: waits for the trial's main process to exit (``wait4``, which also gives
  its peak RSS and CPU time), kills whatever the trial left behind, then builds its Outcome.

No trial outlives hypermax: each trial gets SIGKILL when hypermax dies (Linux parent-death
signal, armed in the child before exec and checked against a parent that died before it was
armed), and a lifeline pipe that only hypermax holds open sends SIGKILL to the trial's whole
process group when it closes (armed in the kernel with ``F_SETOWN``/``F_SETSIG``/``O_ASYNC``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import selectors
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

from hypermax.execution import protocol, watchdog
from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.space import flatten
from hypermax.trial import KillReason, LiveStats, Outcome, Proposal, Report, TrialState

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec

log = logging.getLogger("hypermax")

LOG_CAP_BYTES = 20 * 1024 * 1024
#: how long the output of an ended trial may take to reach end of file before it is cut off
OUTPUT_DRAIN_SECONDS = 2.0
#: result files larger than this are not read
RESULT_FILE_CAP_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 256 * 1024
_DRAIN_CHUNKS = 64
_TAIL_BYTES = 4096


# -- the trial's log ------------------------------------------------------------------------
class LogSink:
    """The trial's log file, shared by its stdout and stderr, capped at ``cap`` bytes."""

    def __init__(self, path: Path, cap: int = LOG_CAP_BYTES) -> None:
        self._file = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._cap = cap
        self._written = 0
        self._dropped = 0
        self._error: OSError | None = None
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            room = self._cap - self._written
            if room > 0 and self._error is None:
                chunk = data[:room]
                try:
                    self._file.write(chunk)
                except OSError as exc:  # a full disk must not stop the trial's output pipe
                    self._error = exc
                    chunk = b""
                self._written += len(chunk)
                data = data[len(chunk) :]
            self._dropped += len(data)

    def note(self, text: str) -> None:
        """A line from hypermax itself, written even past the cap."""
        with self._lock:
            if not self._file.closed:
                with contextlib.suppress(OSError):
                    self._file.write(f"\n[hypermax: {text}]\n".encode())

    def close(self) -> None:
        with self._lock:
            if self._dropped:
                why = f"cannot write: {self._error}" if self._error else "log capped"
                with contextlib.suppress(OSError):
                    self._file.write(
                        f"\n[hypermax: {why} at {self._written} bytes; "
                        f"{self._dropped} more bytes of output dropped]\n".encode()
                    )
            with contextlib.suppress(OSError):
                self._file.close()

    @property
    def dropped(self) -> int:
        return self._dropped


# -- moving output --------------------------------------------------------------------------
class _Stream:
    """One pipe from a trial: where its bytes go, and whether it has ended."""

    def __init__(self, fd: int, sink: Callable[[bytes], None]) -> None:
        self.fd = fd
        self.sink = sink
        self.ended = threading.Event()


class OutputPump:
    """One thread that drains every trial's stdout and stderr pipes as data arrives."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._requests: queue.SimpleQueue[tuple[str, _Stream | None]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hypermax-output", daemon=True)
        self._thread.start()

    def add(self, stream: _Stream) -> None:
        """Start carrying ``stream``; its ``ended`` event is set at end of file."""
        self._request("add", stream)

    def cut(self, stream: _Stream) -> None:
        """Take what ``stream`` holds now and stop reading it (a leftover process holds it)."""
        self._request("cut", stream)

    def close(self) -> None:
        """Stop the thread; streams still open are cut."""
        if self._thread.is_alive():
            self._request("stop", None)
            self._thread.join()
        os.close(self._wake_write)

    def _request(self, what: str, stream: _Stream | None) -> None:
        self._requests.put((what, stream))
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"\0")

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is not None:
                    self._read(key.data)
                elif not self._handle_requests():
                    self._shut()
                    return

    def _handle_requests(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass
        while True:
            try:
                what, stream = self._requests.get_nowait()
            except queue.Empty:
                return True
            if what == "stop":
                return False
            assert stream is not None
            if what == "add":
                self._selector.register(stream.fd, selectors.EVENT_READ, stream)
            elif what == "cut" and not stream.ended.is_set():
                self._drain(stream)

    def _read(self, stream: _Stream) -> bool:
        """Move one chunk; at end of file, finish the stream. False when nothing was there."""
        try:
            data = os.read(stream.fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if data:
            try:
                stream.sink(data)
            except Exception:  # one trial's broken sink must not stop every trial's output
                log.exception("cannot take the output of a trial; dropping the rest of it")
                stream.sink = _discard
            return True
        self._finish(stream)
        return False

    def _drain(self, stream: _Stream) -> None:
        """Read what the pipe holds now (within reason: a writer may never stop), then close."""
        for _ in range(_DRAIN_CHUNKS):
            if stream.ended.is_set() or not self._read(stream):
                break
        if not stream.ended.is_set():
            self._finish(stream)

    def _finish(self, stream: _Stream) -> None:
        self._selector.unregister(stream.fd)
        os.close(stream.fd)
        stream.ended.set()

    def _shut(self) -> None:
        for key in list(self._selector.get_map().values()):
            if key.data is not None:
                self._drain(key.data)
        self._selector.close()
        os.close(self._wake_read)


# -- one running trial ----------------------------------------------------------------------
@dataclass
class _Trial:
    proposal: Proposal
    pid: int
    create_time: float
    log: LogSink
    scanner: protocol.StdoutScanner
    stderr_tail: bytearray
    streams: tuple[_Stream, _Stream]
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
        self._guardian = watchdog.Guardian()
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
        env = self._environment(proposal, trial_dir, params_file, result_file, token)
        env[protocol.LIFELINE_FD_ENV] = str(life_read)
        argv = self._argv(proposal)
        own = watchdog.read_proc(os.getpid())
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self._cwd(trial_dir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_write,
                stderr=err_write,
                pass_fds=(life_read,),
                start_new_session=True,
                preexec_fn=_child_setup(os.getpid(), life_read),
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
            create_time=_create_time(proc.pid),
            log=log,
            scanner=protocol.StdoutScanner(self._reporter(proposal.trial_id)),
            stderr_tail=bytearray(),
            streams=(_Stream(out_read, log.write), _Stream(err_read, log.write)),
            lifeline=life_write,
            result_file=result_file,
            started=started,
            spawner_rss_mib=own.rss / watchdog.MIB if own is not None else float("inf"),
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
    def _argv(self, proposal: Proposal) -> list[str]:
        fn = self.function
        if fn.type == "python_function":
            argv = [sys.executable, "-m", "hypermax.execution.child", "--name", str(fn.name)]
            if fn.src:
                argv += ["--src", str((self.spec_folder / fn.src).resolve())]
            else:
                argv += ["--module", str(fn.module)]
            return [*argv, "--path", str(self.spec_folder)]
        flat = flatten(proposal.params)
        values = {name: _text(value) for name, value in flat.items()}
        values.update(
            {k: json.dumps(v) for k, v in proposal.params.items() if isinstance(v, dict | list)}
        )
        values["trial_id"] = str(proposal.trial_id)
        return [_fill(part, values) for part in fn.command]

    def _environment(
        self, proposal: Proposal, trial_dir: Path, params_file: Path, result_file: Path, token: str
    ) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.function.env)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.spec_folder), package_root, env.get("PYTHONPATH", "")) if p
        )
        env[protocol.PARAMS_FILE_ENV] = str(params_file)
        env[protocol.RESULT_FILE_ENV] = str(result_file)
        env[protocol.TRIAL_DIR_ENV] = str(trial_dir)
        env[protocol.TRIAL_ID_ENV] = str(proposal.trial_id)
        env[watchdog.TOKEN_ENV] = token
        env["PYTHONUNBUFFERED"] = "1"
        for name, value in flatten(proposal.params).items():
            key = protocol.PARAM_ENV_PREFIX + _env_name(name)
            env[key] = _text(value)
        return env

    def _cwd(self, trial_dir: Path) -> str:
        if self.function.cwd:
            return str((self.spec_folder / self.function.cwd).resolve())
        return str(trial_dir)

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
            self._check_system(trials, watchdog.system_used_mib())

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
def _discard(data: bytes) -> None:
    """A sink that drops what it gets."""


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
    maxrss = float(usage.ru_maxrss) * scale / watchdog.MIB
    return maxrss if maxrss > spawner_rss_mib + 2.0 else 0.0


def _create_time(pid: int) -> float:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _env_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).upper()


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders; unknown ``{...}`` is left as it is."""
    if "{" not in part:
        return part
    out = part
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return out


# -- inside the child, between fork and exec ------------------------------------------------
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once here: the child must not import or load anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_F_SETSIG: int | None = getattr(fcntl, "F_SETSIG", None)


def _child_setup(parent_pid: int, lifeline: int) -> Callable[[], None]:
    """The ``preexec_fn`` of a trial: tie its life to hypermax's before it execs.

    Runs in the forked child, so it only calls what was looked up in the parent. Linux sends the
    parent-death signal when the *thread* that forked exits, so trials must be submitted from a
    thread that lives as long as the search (the driver's); the lifeline pipe has no such limit.
    """

    def setup() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if _F_SETSIG is not None:
            _arm_lifeline(lifeline, _F_SETSIG)
        if os.getppid() != parent_pid:  # hypermax died before any of that was armed
            os._exit(1)

    return setup


def _arm_lifeline(fd: int, setsig: int) -> None:
    """Have the kernel SIGKILL this process group when the pipe's last writer closes it."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpid())  # negative: the whole process group
        fcntl.fcntl(fd, setsig, signal.SIGKILL)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    except OSError:
        # not fatal: the parent-death signal still holds, and the child bootstrap watches the
        # pipe from a thread when it finds it not armed
        return
