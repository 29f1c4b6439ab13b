"""Helpers for the watchdog tests: run the real command line, read the journal, find processes.

Every fake trial runs with ``HYPERMAX_TEST_MARKER=<marker>`` in its environment (through the
spec's ``function.env``), and everything it starts inherits it: the tests find a trial's
processes by that marker, and :func:`new_marker` kills any that a failing test left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil

from hypermax.execution import procfs

FAKES = Path(__file__).resolve().parent
MARKER_ENV = "HYPERMAX_TEST_MARKER"


#: the command prefix that runs a process as a user: root reads and writes any folder, and
#: without these capabilities it does not (None: run as root without setpriv)
AS_A_USER: list[str] | None = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]
    if os.geteuid() == 0
    else []
)
if AS_A_USER and shutil.which("setpriv") is None:
    AS_A_USER = None


def fake(name: str) -> list[str]:
    """The command that runs the fake trial program ``name``."""
    return [sys.executable, str(FAKES / f"{name}.py")]


def write_spec(folder: Path, doc: dict[str, Any], name: str = "search.json") -> Path:
    """Write a spec into ``folder``; results go to ``folder/results``."""
    doc = json.loads(json.dumps(doc))
    doc.setdefault("results", {"directory": str(folder / "results")})
    path = folder / name
    path.write_text(json.dumps(doc, indent=1))
    return path


def fake_search(
    program: str,
    marker: str,
    name: str,
    iterations: int,
    go: Path | None = None,
    **function: Any,
) -> dict[str, Any]:
    """A search over one number ``x`` whose trials run the fake trial program ``program`` as an
    executable, their processes marked with ``marker``; ``go`` is the file that ends the trials
    of ``wait_for_go`` once it exists. ``function`` adds to the ``function`` section."""
    env = {MARKER_ENV: marker, **({"GO_FILE": str(go)} if go is not None else {})}
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {"type": "executable", "command": fake(program), "env": env, **function},
        "search": {"name": name, "iterations": iterations},
    }


def drain_terminal(master: int, into: bytearray, stop: threading.Event) -> None:
    """Append what the master end of a pseudo-terminal reads to ``into`` (a full terminal would
    block the writes of what runs on it) until it ends (EOF, or EIO once no slave end is open)
    or ``stop`` is set; run it in a thread, and set ``stop`` and join it before closing
    ``master`` (a read in progress holds it open)."""
    while not stop.is_set():
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:
            return
        if not data:
            return
        into += data


#: the signals a test sends hypermax or a trial to see what it does with them
SENT_BY_TESTS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def at_default_signals() -> None:
    """A ``preexec_fn`` that puts the signals a test sends back to their default action in the
    child, before its exec: a suite started under ``nohup`` (SIGHUP ignored), or by a shell
    that runs it in the background (SIGINT and SIGQUIT ignored), would otherwise hand its
    ignored signals on to the program a test means to signal, which rightly keeps ignoring
    them."""
    for sig in SENT_BY_TESTS:
        signal.signal(sig, signal.SIG_DFL)


def hypermax_argv(spec: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui", *extra]


def run_hypermax(spec: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a search through the real command line to its end."""
    return subprocess.run(
        hypermax_argv(spec, *extra),
        cwd=spec.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def start_hypermax(spec: Path) -> subprocess.Popen[str]:
    """Start a search through the real command line and return at once."""
    return subprocess.Popen(
        hypermax_argv(spec),
        cwd=spec.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=at_default_signals,
    )


def records(folder: Path) -> list[dict[str, Any]]:
    path = folder / "trials.jsonl"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip().endswith("}")]


def finished(folder: Path) -> dict[int, dict[str, Any]]:
    """``trial_finished`` records by trial id."""
    return {r["id"]: r for r in records(folder) if r["event"] == "trial_finished"}


def started(folder: Path) -> dict[int, dict[str, Any]]:
    """``trial_started`` records by trial id."""
    return {r["id"]: r for r in records(folder) if r["event"] == "trial_started"}


def by_param(folder: Path, name: str) -> dict[Any, dict[str, Any]]:
    """Finished records keyed by the value of parameter ``name`` each trial ran with."""
    params = {i: r["params"][name] for i, r in started(folder).items()}
    return {params[i]: r for i, r in finished(folder).items()}


def grid_over_case(
    tmp_path: Path, src: str, name: str, cases: list[str], **function: Any
) -> dict[str, dict[str, Any]]:
    """The trials of a grid search (``hypermax.optimize``) over ``case`` of the function
    ``name`` of the fake trial file ``src``, by case; results under ``tmp_path/results``."""
    import hypermax

    spec = {
        "hyperparameters": {"type": "object", "properties": {"case": {"enum": cases}}},
        "function": {"type": "python_function", "src": str(FAKES / src), "name": name, **function},
        "search": {"name": name, "method": "grid", "max_initial_failures": 0},
        "results": {"directory": str(tmp_path / "results")},
    }
    result = hypermax.optimize(spec)
    return {trial["params"]["case"]: trial for trial in result.trials}


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` every 20 ms until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


def marked(marker: str) -> list[psutil.Process]:
    """Live processes (zombies excluded) whose environment carries ``marker``."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER_ENV) == marker and proc.status() != "zombie":
                found.append(proc)
        except psutil.Error:
            continue
    return found


def assert_none_alive(marker: str, timeout: float = 5.0) -> None:
    """Every process with ``marker`` is gone within ``timeout`` (they are killed, not awaited)."""
    try:
        wait_until(lambda: not marked(marker), timeout, f"the processes marked {marker} to end")
    except AssertionError:
        alive = [(p.pid, " ".join(_cmdline(p))) for p in marked(marker)]
        raise AssertionError(f"trial processes outlived their trial: {alive}") from None


def is_stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (SIGSTOP, SIGTSTP)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_STOPPED
    except psutil.Error:
        return False


def pid_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != "zombie"
    except psutil.Error:
        return False


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return ["?"]


@contextlib.contextmanager
def new_marker() -> Iterator[str]:
    """A marker for one test's trial processes; any still alive at the end are killed."""
    value = f"watchdog-test-{uuid.uuid4().hex}"
    try:
        yield value
    finally:
        for proc in marked(value):
            try:
                proc.kill()
            except psutil.Error:
                continue


def kill_pid(pid: int) -> None:
    """Kill a process the test started itself (used for deliberate leftovers)."""
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        return


def run_hypermax_measured(spec: Path, timeout: float = 60) -> tuple[int, str, float]:
    """Run a search to its end; (exit code, stderr, peak RSS of hypermax in MiB).

    The peak is the high-water mark (``VmHWM``) of the hypermax process alone, read while it
    runs: ``wait4``'s ``ru_maxrss`` would also count the largest of the trials it reaped.
    """
    err = spec.parent / "hypermax.err"
    with open(err, "w") as stderr:
        proc = subprocess.Popen(
            hypermax_argv(spec),
            cwd=spec.parent,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    peak_bytes = 0
    while True:
        peak_bytes = max(peak_bytes, procfs.read_peak_rss(proc.pid))
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f"hypermax did not finish within {timeout} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err.read_text(), peak_bytes / 2**20
