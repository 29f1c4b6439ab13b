"""Run each trial as its own process on this machine, guarded by the psutil watchdog.

One monitor thread samples every running trial's process tree each tick, enforces the time and
memory limits, and notices when a trial process exits; two reader threads per trial stream its
stdout and stderr into the trial's log (capped) and pick out reports and the result line.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hypermax.execution import protocol, watchdog
from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.space import flatten
from hypermax.trial import KillReason, LiveStats, Outcome, Proposal, Report, TrialState

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec

LOG_CAP_BYTES = 20 * 1024 * 1024
RAM_SAMPLES_TO_KILL = 3
READER_JOIN_SECONDS = 5.0


class LogSink:
    """The trial's log file, shared by its stdout and stderr readers, capped at ``cap`` bytes."""

    def __init__(self, path: Path, cap: int = LOG_CAP_BYTES) -> None:
        self._file = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._cap = cap
        self._written = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            room = self._cap - self._written
            if room > 0:
                chunk = data[:room]
                self._file.write(chunk)
                self._written += len(chunk)
            self._dropped += max(0, len(data) - max(room, 0))

    def close(self) -> None:
        with self._lock:
            if self._dropped:
                note = f"\n[hypermax: log capped at {self._cap} bytes; {self._dropped} dropped]\n"
                self._file.write(note.encode())
            self._file.close()

    @property
    def dropped(self) -> int:
        return self._dropped


@dataclass
class _Trial:
    proposal: Proposal
    proc: subprocess.Popen[bytes]
    tree: watchdog.ProcessTree
    token: str
    log: LogSink
    result_file: Path
    started: float
    readers: list[threading.Thread] = field(default_factory=list)
    last_result_line: dict[str, Any] | None = None
    kill: tuple[KillReason, float | None] | None = None
    ram_strikes: int = 0
    peak_rss_mib: float = 0.0
    rss_mib: float = 0.0
    cpu_seconds: float = 0.0
    cpu_percent: float = 0.0
    processes: int = 1
    ending: bool = False


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
        self._events: queue.Queue[RunnerEvent] = queue.Queue()
        self._trials: dict[int, _Trial] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    # -- the seam -------------------------------------------------------------------------
    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        trial_dir = trial_dir.resolve()
        trial_dir.mkdir(parents=True, exist_ok=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        params_file = trial_dir / ".hypermax_params.json"
        result_file = trial_dir / ".hypermax_result.json"
        with contextlib.suppress(FileNotFoundError):
            result_file.unlink()
        params_file.write_text(json.dumps(proposal.params))
        token = uuid.uuid4().hex
        env = self._environment(proposal, trial_dir, params_file, result_file, token)
        argv = self._argv(proposal)
        cwd = self._cwd(trial_dir)
        log = LogSink(log_path)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        except OSError as exc:
            log.write(f"hypermax: cannot start {argv[0]}: {exc}\n".encode())
            log.close()
            self._events.put(
                Outcome(proposal.trial_id, TrialState.FAILED, reason=f"cannot start: {exc}")
            )
            return
        trial = _Trial(
            proposal=proposal,
            proc=proc,
            tree=watchdog.ProcessTree(proc.pid),
            token=token,
            log=log,
            result_file=result_file,
            started=time.monotonic(),
        )
        assert proc.stdout is not None and proc.stderr is not None
        trial.readers = [
            threading.Thread(target=self._read_stdout, args=(trial, proc.stdout), daemon=True),
            threading.Thread(target=self._read_stderr, args=(trial, proc.stderr), daemon=True),
        ]
        for reader in trial.readers:
            reader.start()
        with self._lock:
            self._trials[proposal.trial_id] = trial
        self._ensure_monitor()

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
        if trial is not None and trial.kill is None:
            trial.kill = (reason, None)
            self._end(trial)

    def close(self) -> list[Outcome]:
        with self._lock:
            trials = list(self._trials.values())
        for trial in trials:
            if trial.kill is None:
                trial.kill = (KillReason.INTERRUPT, None)
        threads = [threading.Thread(target=self._finish, args=(t,)) for t in trials]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join()
        outcomes: list[Outcome] = []
        for event in self.poll(0):
            if isinstance(event, Outcome):
                outcomes.append(event)
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
        if trial is None:
            return None
        try:
            return trial.proc.pid, trial.tree.create_time()
        except Exception:
            return trial.proc.pid, 0.0

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

    # -- reading output ---------------------------------------------------------------------
    def _read_stdout(self, trial: _Trial, stream: IO[bytes]) -> None:
        trial_id = trial.proposal.trial_id
        for raw in iter(stream.readline, b""):
            trial.log.write(raw)
            if len(raw) > 65536:
                continue
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            report = protocol.parse_report(line)
            if report is not None:
                self._events.put(Report(trial_id, report[0], report[1]))
                continue
            result = protocol.parse_result_line(line)
            if result is not None:
                trial.last_result_line = result
        stream.close()

    def _read_stderr(self, trial: _Trial, stream: IO[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
            trial.log.write(chunk)
        stream.close()

    # -- watching ---------------------------------------------------------------------------
    def _ensure_monitor(self) -> None:
        if self._monitor is None or not self._monitor.is_alive():
            self._stop.clear()
            self._monitor = threading.Thread(
                target=self._watch, name="hypermax-watchdog", daemon=True
            )
            self._monitor.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                trials = [t for t in self._trials.values() if not t.ending]
            if not trials:
                continue
            system_used = None
            if self.function.auto_kill_max_system_ram is not None:
                system_used = watchdog.system_used_mib()
            for trial in trials:
                self._check(trial, system_used)

    def _check(self, trial: _Trial, system_used: float | None) -> None:
        if trial.proc.poll() is not None:
            self._end(trial)
            return
        fn = self.function
        elapsed = time.monotonic() - trial.started
        sample = trial.tree.sample()
        if elapsed > 0:
            trial.cpu_percent = 100.0 * (sample.cpu_seconds - trial.cpu_seconds) / self.tick
        trial.rss_mib, trial.cpu_seconds, trial.processes = (
            sample.rss_mib,
            sample.cpu_seconds,
            sample.processes,
        )
        trial.peak_rss_mib = max(trial.peak_rss_mib, sample.rss_mib)
        if fn.auto_kill_max_time is not None and elapsed > fn.auto_kill_max_time:
            trial.kill = (KillReason.TIME, elapsed)
        elif fn.auto_kill_max_ram is not None and sample.rss_mib > fn.auto_kill_max_ram:
            trial.ram_strikes += 1
            if trial.ram_strikes >= RAM_SAMPLES_TO_KILL:
                trial.kill = (KillReason.RAM, sample.rss_mib)
        elif system_used is not None and system_used > (fn.auto_kill_max_system_ram or 0):
            trial.kill = (KillReason.SYSTEM_RAM, system_used)
        else:
            trial.ram_strikes = 0
        if trial.kill is not None:
            self._end(trial)

    def _end(self, trial: _Trial) -> None:
        """Hand the trial to a finishing thread once; the monitor goes on watching the rest."""
        with self._lock:
            if trial.ending:
                return
            trial.ending = True
        threading.Thread(target=self._finish, args=(trial,), daemon=True).start()

    def _finish(self, trial: _Trial) -> None:
        """Kill whatever is left of the tree, drain the output, build the Outcome."""
        members = trial.tree.members()
        members += [
            p for p in watchdog.find_by_token(trial.token) if p.pid not in {m.pid for m in members}
        ]
        watchdog.kill_tree(members, self.function.kill_grace)
        with contextlib.suppress(subprocess.TimeoutExpired):
            trial.proc.wait(timeout=READER_JOIN_SECONDS)
        for reader in trial.readers:
            reader.join(READER_JOIN_SECONDS)
        trial.log.close()
        outcome = self._outcome(trial, time.monotonic() - trial.started)
        with self._lock:
            self._trials.pop(trial.proposal.trial_id, None)
        self._events.put(outcome)

    def _outcome(self, trial: _Trial, wall: float) -> Outcome:
        code = trial.proc.returncode
        common: dict[str, Any] = {
            "trial_id": trial.proposal.trial_id,
            "wall_time": wall,
            "cpu_time": trial.cpu_seconds,
            "peak_rss_mib": trial.peak_rss_mib,
            "exit_code": code,
        }
        if trial.kill is not None:
            reason, value = trial.kill
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
                reason=_kill_text(reason, value, self.function),
                kill_reason=reason,
                kill_value=value,
                **common,
            )
        result, problem = self._read_result(trial)
        if result is not None and protocol.ERROR_KEY in result:
            return Outcome(
                state=TrialState.FAILED, reason=str(result[protocol.ERROR_KEY]), **common
            )
        if code != 0:
            return Outcome(
                state=TrialState.FAILED, reason=_exit_text(code), result=result, **common
            )
        if result is None:
            return Outcome(state=TrialState.FAILED, reason=problem, **common)
        return Outcome(state=TrialState.OK, result=result, **common)

    def _read_result(self, trial: _Trial) -> tuple[dict[str, Any] | None, str]:
        if trial.result_file.exists():
            text = trial.result_file.read_text()
            try:
                value = json.loads(text)
            except ValueError:
                return None, "the result file is not JSON"
            result = protocol.normalise_result(value)
            if result is None:
                return None, f"the result is not a number or an object: {text[:80]}"
            return result, ""
        if trial.last_result_line is not None:
            return trial.last_result_line, ""
        return None, "no result: nothing on stdout parses as a number or a JSON object"


def _kill_text(reason: KillReason, value: float | None, fn: FunctionSpec) -> str:
    if reason is KillReason.TIME:
        return f"time limit: ran {value:.1f} s, limit {fn.auto_kill_max_time} s"
    if reason is KillReason.RAM:
        return f"memory limit: tree RSS {value:.0f} MiB, limit {fn.auto_kill_max_ram} MiB"
    if reason is KillReason.SYSTEM_RAM:
        return (
            f"system memory limit: {value:.0f} MiB in use, limit {fn.auto_kill_max_system_ram} MiB"
        )
    return reason.value


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit code {code}"


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


def _die_with_parent(parent_pid: int) -> Any:
    """preexec_fn: ask Linux to SIGKILL the trial when hypermax dies, then check we were not late.

    Linux sends the signal when the *thread* that forked exits, so trials must be submitted from a
    thread that lives as long as the search (the driver's).
    """

    def setup() -> None:
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:
            os._exit(1)

    return setup if sys.platform.startswith("linux") else None
