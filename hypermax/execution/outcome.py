"""From what is known of an ended trial to its Outcome: its result, its state, its reason."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypermax.execution import protocol
from hypermax.execution.limits import Limits, kill_text
from hypermax.execution.reports import STOP_FILE, STOPPED_FILE, VERDICTS_FILE
from hypermax.execution.trial_files import LeftFileError, read_left_file
from hypermax.trial import KillReason, Outcome, TrialState

#: result files larger than this are not read
RESULT_FILE_CAP_BYTES = 16 * 1024 * 1024
#: result values longer than this are never taken for a file's path
_PATH_CAP = 4096


@dataclass(frozen=True)
class Ending:
    """What the trial unit saw of an ended trial, before its result is read."""

    trial_id: int
    trial_dir: Path
    result_file: Path
    stdout_result: dict[str, Any] | None
    stderr_tail: bytes
    function_type: str
    kill: tuple[KillReason, float | None] | None
    limits: Limits
    wall_time: float
    cpu_time: float
    peak_rss_mib: float
    exit_code: int | None
    ended_at: float
    #: it ended by a SIGKILL from the kernel's out-of-memory killer
    oom_killed: bool = False
    #: why nothing is known of how it ended (the launcher says), if so: without a result, the
    #: trial is ``interrupted`` with this reason (it did not fail of its own doing)
    lost: str | None = None
    #: its result file was there when a limit or an interrupt began to kill it, or early
    #: stopping's kill ladder (if it began): the function had returned (or raised), and only
    #: its process's exit was left
    returned_before_the_kill: bool = False
    #: its main process had ended on its own (exited 0 or not) before the kill ladder's
    #: first signal could reach it: a stop early stopping asked for came too late
    ended_before_the_kill: bool = False
    #: why an executable's stdout gave no result, when it is not that nothing parsed as one
    stdout_problem: str = ""
    #: the result (its JSON) the trial sent its launcher instead of writing the result file
    sent_result: bytes | None = None


def trial_outcome(ending: Ending) -> Outcome:
    """The Outcome of an ended trial: killed, stopped, interrupted, failed (with the reason) or
    ok (with its result).

    A ``python_function`` trial whose function returned before a stop or a kill came ran to its
    end: it is ok (or failed, when the function raised), whatever then held its exit (threads
    it left running, for up to ``kill_grace``). (Its bootstrap writes no result once a report
    raised ``TrialStopped``.)
    """
    common: dict[str, Any] = {
        "trial_id": ending.trial_id,
        "wall_time": ending.wall_time,
        "cpu_time": ending.cpu_time,
        "peak_rss_mib": ending.peak_rss_mib,
        "exit_code": ending.exit_code,
        "ended_at": ending.ended_at,
    }
    _drop_stop_files(ending.trial_dir)
    if ending.kill is not None and not _returned_before_the_stop(ending):
        return _killed(*ending.kill, ending.limits, common)
    result, problem = read_result(
        ending.result_file,
        ending.stdout_result,
        ending.function_type,
        ending.stdout_problem,
        ending.sent_result,
    )
    if result is not None or ending.function_type == "python_function":
        _drop_result_file(ending.result_file)
    if result is not None and protocol.ERROR_KEY in result:
        reason = reason_line(str(result[protocol.ERROR_KEY]), 300)
        return Outcome(state=TrialState.FAILED, reason=reason, **common)
    if result is not None:
        common.update(result=result, attachments=attachments(ending.trial_dir, result))
    code = ending.exit_code
    if code == protocol.NO_SPACE_EXIT and protocol.NO_SPACE_LINE.encode() in ending.stderr_tail:
        return Outcome(
            state=TrialState.INTERRUPTED,
            reason=protocol.NO_SPACE_REASON,
            kill_reason=KillReason.INTERRUPT,
            **common,
        )
    # here: after the function returned; an executable that ended before the stop: its own exit
    killed_on_its_way_out = ending.kill is not None and not ending.ended_before_the_kill
    if exit_outlasted_the_wait(ending.function_type, code, result is not None):
        code = 0  # its result stands, as when the bootstrap's own handler ends the exit
    if code is not None and code != 0 and not killed_on_its_way_out:
        return Outcome(
            state=TrialState.FAILED,
            reason=exit_text(code, ending.stderr_tail, ending.oom_killed),
            **common,
        )
    if result is None and ending.lost is not None:  # its launcher lost it: it runs again
        return Outcome(
            state=TrialState.INTERRUPTED,
            reason=ending.lost,
            kill_reason=KillReason.INTERRUPT,
            **common,
        )
    if result is None:
        return Outcome(state=TrialState.FAILED, reason=_said(problem, ending), **common)
    return Outcome(state=TrialState.OK, **common)


def _drop_result_file(result_file: Path) -> None:
    """Remove the trial's result file, once read: only a copy of what goes on in the Outcome
    (and the journal), the result or the reason there is none. Nothing reads it again: a trial
    whose end the journal lacks runs again, and its folder is cleared of it first. Called for
    an executable's only when it gave the result: one hypermax could not read is left, the
    program's own trace of what went wrong."""
    with contextlib.suppress(OSError):  # a folder the trial took its rights from keeps it
        os.unlink(result_file)


def _drop_stop_files(trial_dir: Path) -> None:
    """Remove early stopping's files from the trial's folder (the count of the verdicts it was
    sent, the stop asked of the processes it started, its note that a report raised): read
    only while it runs, and not the user's, in a folder that is the trial's own."""
    for name in (STOP_FILE, STOPPED_FILE, VERDICTS_FILE):
        with contextlib.suppress(OSError):  # none there; a folder the trial took its rights from
            os.unlink(trial_dir / name)


def _said(problem: str, ending: Ending) -> str:
    """Why an executable has no result, naming a result its last stderr line holds (printed
    there, ``print(loss, file=sys.stderr)``, or by a logger), which is not read."""
    if problem != NOTHING_ON_STDOUT:
        return problem
    last = _last_line(ending.stderr_tail)
    if not last or protocol.parse_result_line(last) is None:
        return problem
    return f"{problem} (the last line on stderr does: {last}; a result is read from stdout)"


def exit_outlasted_the_wait(function_type: str, exit_code: int | None, returned: bool) -> bool:
    """Whether a ``python_function`` trial whose function ``returned`` (its result written)
    ended by the timer its bootstrap sets for the exit (:func:`.trial_exit.exit_within`):
    its exit took longer than ``kill_grace`` (a finalizer that does not return) past the point
    where the interpreter's exit takes Python's signal handlers away, so ``SIGALRM``'s own
    action ended it rather than the bootstrap's handler."""
    return function_type == "python_function" and returned and exit_code == -signal.SIGALRM


def _returned_before_the_stop(ending: Ending) -> bool:
    """A trial stopped or killed that had ended first: the stop came too late. A function
    stopped early that returned instead of reaching a report, before the kill ladder began if
    it did, or one whose result was written before a limit or an interrupt began to kill it (a
    result written after was made in answer to the kill); an executable stopped early whose
    main process had exited (printed its result, exited 0) before the SIGTERM could reach it:
    it ended as if no stop had come."""
    if ending.kill is None:
        return False
    if ending.function_type != "python_function":
        return ending.kill[0] is KillReason.EARLY_STOP and ending.ended_before_the_kill
    if ending.kill[0] is not KillReason.EARLY_STOP:
        return ending.returned_before_the_kill
    returned = ending.sent_result is not None or os.path.exists(ending.result_file)
    return ending.exit_code == 0 and returned and ending.returned_before_the_kill


def _killed(
    reason: KillReason, value: float | None, limits: Limits, common: dict[str, Any]
) -> Outcome:
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
        reason=kill_text(reason, value, limits),
        kill_reason=reason,
        kill_value=value,
        **common,
    )


#: why an executable has no result, when nothing else says why
NOTHING_ON_STDOUT = "no result: nothing on stdout parses as a number or a JSON object"


def read_result(
    result_file: Path,
    stdout_result: dict[str, Any] | None,
    function_type: str,
    stdout_problem: str = "",
    sent: bytes | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """The result the trial ``sent`` its launcher (a forked trial's, when small), else the
    result file if the trial wrote one, else, for an executable, the last result line of its
    stdout (a ``python_function``'s result is what it returned: its bootstrap sends it or
    writes the file, so without either the function never returned, whatever it printed).

    Returns:
        (result, "") or (None, why there is none).
    """
    try:
        data = sent if sent is not None else read_left_file(result_file, RESULT_FILE_CAP_BYTES)
    except LeftFileError as exc:
        if exc.size is None:
            return None, f"the result file {exc}"
        cap = f"{RESULT_FILE_CAP_BYTES // 2**20} MiB"
        if function_type != "python_function":
            return None, f"the result file is larger than {cap}"
        return None, (
            f"the function returned {exc.size // 2**20} MiB (as JSON), over the {cap} a result"
            " may hold: write large data to a file in the trial's folder (HYPERMAX_TRIAL_DIR)"
            " and return its name"
        )
    if data is not None:
        text = data.decode("utf-8", "replace")
        if not text.strip():
            return None, "the result file is empty"
        try:
            value = json.loads(text)
        except ValueError:
            return None, f"the result file is not JSON: {reason_line(text)}"
        result = protocol.normalise_result(value)
        if result is None and value is None and function_type == "python_function":
            return None, (
                "the function returned None (no return statement?): return the loss, or a "
                "dict of metrics"
            )
        if result is None:
            return None, f"the result is not a number or an object: {reason_line(text)}"
        return result, ""
    if function_type == "python_function":
        return None, "no result: the trial's process ended without returning from the function"
    if stdout_result is not None:
        return stdout_result, ""
    return None, stdout_problem or NOTHING_ON_STDOUT


def attachments(trial_dir: Path, result: dict[str, Any]) -> tuple[str, ...]:
    """The files inside ``trial_dir`` that values of ``result`` name, relative to it, each once."""
    values = [v for v in result.values() if isinstance(v, str) and len(v) <= _PATH_CAP]
    if not values:
        return ()
    folder = trial_dir.resolve()
    found = []
    for value in values:
        path = Path(value) if os.path.isabs(value) else folder / value
        try:
            resolved = path.resolve()
            if resolved.is_file() and resolved.is_relative_to(folder):
                found.append(str(resolved.relative_to(folder)))
        except (OSError, ValueError):  # not a path this system can look up
            continue
    return tuple(dict.fromkeys(found))


#: why a trial the out-of-memory killer took ended
OOM_KILLED = (
    "ended by signal SIGKILL from the kernel's out-of-memory killer"
    " (the machine, or its memory cgroup, ran out of memory)"
)


def exit_text(code: int, stderr_tail: bytes, oom_killed: bool = False) -> str:
    """One line on how a failed process ended, with the last line of its stderr."""
    if oom_killed:
        text = OOM_KILLED
    elif code < 0:
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
    lines = [raw.decode("utf-8", "replace") for raw in data.splitlines()]
    for line in reversed(lines[: _stack_dump_start(lines)]):
        line = line.strip()
        if line and not line.startswith("[hypermax:"):
            return reason_line(line)
    return ""


#: the head of a thread's stack in the dump Python writes on a fatal error (a crash, with
#: faulthandler on, or an interpreter that cannot start: ``PYTHONHOME`` set wrong)
_STACK_HEAD = re.compile(r"(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):$")


def _stack_dump_start(lines: list[str]) -> int:
    """Where the stack dump that ends ``lines`` begins (``len(lines)`` without one): its frames
    (``File "x.py", line 3 in train``, ``<no Python frame>``) and the list of extension modules
    are no reason; the line before them is (``Fatal Python error: Segmentation fault``)."""
    start = len(lines)
    for at in range(len(lines) - 1, -1, -1):
        line = lines[at]
        if _STACK_HEAD.match(line):
            start = at
        elif line.strip() and not line.startswith((" ", "Extension modules:", "[hypermax:")):
            break
    return start


_ESCAPE = re.compile(protocol.ESCAPE_PATTERN)


def without_escapes(text: str) -> str:
    """``text`` without its terminal escape sequences (a colouring logger's, a progress bar's
    cursor moves), which would steer the terminal that shows it."""
    return _ESCAPE.sub("", text)


def reason_line(text: str, limit: int = 200) -> str:
    """One line of ``text`` fit to be a reason: whitespace runs made one space, terminal escape
    sequences and other control characters dropped (a colouring logger's line must not reach
    the journal, nor the terminal that shows the reason), at most ``limit`` characters."""
    plain = without_escapes(text)
    line = " ".join("".join(c for c in part if c.isprintable()) for part in plain.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
