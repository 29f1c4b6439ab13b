"""Reports from a trial, and early stopping's requests and verdicts on them.

A trial reports progress as stdout lines ``HYPERMAX_REPORT {json}`` (:func:`send_report`,
:func:`parse_report`). Early stopping asks a ``python_function`` trial to stop with
:data:`STOP_SIGNAL`, which the bootstrap turns into a request (:func:`listen_for_stop`); the
trial's next report then raises :class:`TrialStopped` instead of being sent
(:func:`raise_if_stopped`). When the runner sets :data:`VERDICT_WAIT_ENV`, each report waits for
hypermax's verdict on it (:func:`send_report`): :data:`STOP_SIGNAL` makes that very report raise,
so a trial stopped at step s does not train step s + 1 first; :data:`GO_ON_SIGNAL` lets it go on.
This module is imported by the child bootstrap: standard library only.
"""

from __future__ import annotations

import _signal  # signal's C half: ``signal`` imports enum, which every trial would pay for
import _thread
import os
import time

from hypermax.execution.protocol import (
    MAX_PARSED_LINE,
    REPORT_PREFIX,
    RESULT_FILE_ENV,
    jsonable,
)

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

#: in the trial's folder (beside its result file): written by hypermax when it asks a
#: ``python_function`` trial to stop early; the processes the trial started (a
#: ``multiprocessing`` worker), which its signal does not reach, stop at their next report
STOP_FILE = ".hypermax_stop"
#: beside it: left by the trial's main process when one of its reports raised
#: :class:`TrialStopped`; from then on it has at least its ``kill_grace`` to end (its ``finally``
#: blocks, a checkpoint it saves)
STOPPED_FILE = ".hypermax_stopped"
#: beside it: how many verdicts hypermax sent the trial so far (8 bytes, little-endian), written
#: before each :data:`GO_ON_SIGNAL`, which only wakes the trial: signals that come before Python
#: runs their handler count as one, and each one queued for a process that does not take it
#: counts against its user's limit of pending signals
VERDICTS_FILE = ".hypermax_verdicts"
#: sent to a python_function trial's main process to have it stop at its next report
STOP_SIGNAL: int = _signal.SIGUSR1
#: sent to a trial that waits for verdicts: its last report was judged and it goes on (a
#: real-time signal: they queue, one per report, where SIGUSR2 would merge)
GO_ON_SIGNAL: int = _signal.SIGRTMIN + 1
#: set by the runner when early stopping judges the trial's reports: after each report, the
#: trial's main thread waits at most this many seconds for the verdict on it
VERDICT_WAIT_ENV = "HYPERMAX_VERDICT_WAIT"
#: the wait hypermax sets: it answers a report in well under a millisecond when not busy
VERDICT_WAIT = 2.0
#: the longest stretch a wait for a verdict goes without looking whether one came already
VERDICT_SLICE = 0.05
#: the verdicts' two signals
_VERDICTS = frozenset({STOP_SIGNAL, GO_ON_SIGNAL})


class TrialStopped(BaseException):
    """Raised by ``reporter(...)`` and ``hypermax.report(...)`` in a trial asked to stop early.

    It derives from BaseException, as SystemExit does, so that an ``except Exception`` in a
    training loop does not swallow it: the trial's ``finally`` blocks and ``with`` exits run,
    and the bootstrap ends the process cleanly. A trial may catch it to save something, and
    should raise it again; every later report raises it anew.
    """


class _StopRequest:
    """Whether hypermax asked this trial process to stop, and whether a report said so; the
    verdicts awaited (one for each report this process sent since it listens, from any thread:
    each gets one, in the order they were sent); hypermax counts those it sent in
    :data:`VERDICTS_FILE`."""

    asked = False
    raised = False
    awaited = 0
    main_thread = 0
    pid = 0
    #: a copy of the trial's stdout that reports go to (see :func:`keep_report_stream`)
    report_fd: int | None = None


def keep_report_stream() -> None:
    """In a ``python_function`` trial, before its function runs: reports go to a copy of its
    stdout from now on, so that a function that silences a library by pointing file
    descriptor 1 at ``/dev/null`` (or closes it) does not silence its reports too, nor make
    each wait for a verdict on a report hypermax never saw. Not inherited by what it runs."""
    try:
        _StopRequest.report_fd = os.dup(1)
    except OSError:  # no stdout: reports go where sys.stdout does
        _StopRequest.report_fd = None


def listen_for_stop() -> None:
    """In a trial process: from now on, :data:`STOP_SIGNAL` asks it to stop at its next report
    and :data:`GO_ON_SIGNAL` wakes a wait for a verdict. Call it from the main thread."""
    _StopRequest.main_thread = _thread.get_ident()
    _StopRequest.pid = os.getpid()
    _signal.signal(STOP_SIGNAL, _on_stop_signal)
    _signal.signal(GO_ON_SIGNAL, _on_go_on)


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    _StopRequest.asked = True


def _on_go_on(signum: int, frame: FrameType | None) -> None:
    """A verdict that came while no wait took it: :data:`VERDICTS_FILE` counts it."""


def send_report(stream: Any, step: Any, metrics: dict[str, Any], caller: str = "reporter") -> None:
    """Write one report to ``stream`` (the trial's stdout); then, when the runner asked for it,
    wait for the verdict on it. Raises :class:`TrialStopped` when hypermax stopped the trial,
    before this report or on it, and TypeError, prefixed with ``caller``, when ``step`` is not a
    whole number (see :func:`whole_step`)."""
    raise_if_stopped()
    try:
        step = whole_step(step)
    except TypeError as exc:
        raise TypeError(f"{caller}: {exc}") from None
    line = format_report(step, metrics)  # ASCII: its length is its size in bytes
    # the verdict often comes before the report is written out: from the start, its signals
    # stay pending for the wait, which a handler of the trial's own for them (faulthandler's
    # on SIGUSR1) would otherwise take, losing the stop
    # (a line too long for hypermax to read, which its log says, gets no verdict)
    waits = len(line) <= MAX_PARSED_LINE and _waits()
    held = _signal.pthread_sigmask(_signal.SIG_BLOCK, _VERDICTS) if waits else None
    try:
        _write_report(stream, line)
        if len(line) > MAX_PARSED_LINE:
            return
        if _thread.get_ident() != _StopRequest.main_thread and os.getpid() == _StopRequest.pid:
            # another thread's report waits for no verdict but gets one: the main thread's next
            # report waits for it too, rather than take it for its own
            _StopRequest.awaited += 1
        if waits:
            await_verdict()
            raise_if_stopped()  # a stop applies to this very report
    finally:
        if held is not None:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, held)


def _write_report(stream: Any, line: str) -> None:
    """Write the report ``line`` to the trial's stdout (see :func:`send_report`)."""
    fd = _StopRequest.report_fd
    if fd is None:
        stream.write(line + "\n")
        stream.flush()
        return
    # the trial's own stdout, whatever was made of file descriptor 1 since
    try:  # noqa: SIM105 - contextlib costs every trial an import; what it printed goes first
        stream.flush()
    except (ValueError, OSError):  # a closed file left as sys.stdout
        pass
    data = memoryview((line + "\n").encode())
    while data:
        data = data[os.write(fd, data) :]


def _waits() -> bool:
    """Whether a report sent now waits for its verdict (see :func:`await_verdict`)."""
    return (
        bool(os.environ.get(VERDICT_WAIT_ENV))
        and _thread.get_ident() == _StopRequest.main_thread
        and os.getpid() == _StopRequest.pid
        and _trial_file(VERDICTS_FILE) is not None
    )


def await_verdict() -> None:
    """Wait until hypermax judged every report this trial sent, at most :data:`VERDICT_WAIT_ENV`
    seconds per verdict. Called by :func:`send_report` when the report waits (:func:`_waits`:
    on the trial's main thread, which Python runs signal handlers in and verdicts go to), with
    the verdicts' signals blocked since before the report was written: they stay pending for
    ``sigtimedwait``, where the kernel hands them to this thread even when other threads (a
    numerical library's workers) could take a signal sent to the process. A verdict that comes
    late counts for its own report, so the next report still waits for its own: verdicts are
    counted by :data:`VERDICTS_FILE`, which hypermax writes before each signal (and reread
    between two slices of the wait, for a verdict another thread took)."""
    wait = float(os.environ[VERDICT_WAIT_ENV])
    path = _trial_file(VERDICTS_FILE)
    assert path is not None
    _StopRequest.awaited += 1
    deadline = time.monotonic() + wait
    seen = verdicts_sent(path)
    while not _StopRequest.asked and seen < _StopRequest.awaited:
        left = deadline - time.monotonic()
        if left <= 0:
            break  # hypermax is busy: go on; a stop still comes, at a later report
        got = _signal.sigtimedwait(_VERDICTS, min(left, VERDICT_SLICE))
        if got is not None and got.si_signo == STOP_SIGNAL:
            _StopRequest.asked = True
            break
        sent = verdicts_sent(path)
        if sent > seen:
            seen = sent
            deadline = time.monotonic() + wait  # the wait is per verdict


def verdicts_sent(path: str) -> int:
    """How many verdicts :data:`VERDICTS_FILE` at ``path`` counts (0 before the first): read
    until two readings agree, so that one made while hypermax wrote it is not taken."""
    last = -1
    while True:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return 0
        try:
            count = int.from_bytes(os.pread(fd, 8, 0), "little")
        except OSError:
            count = 0
        finally:
            os.close(fd)
        if count == last:
            return count
        last = count


def write_verdicts_sent(path: str, count: int) -> None:
    """Write ``count`` to :data:`VERDICTS_FILE` at ``path`` (see :func:`verdicts_sent`)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, count.to_bytes(8, "little"), 0)
    finally:
        os.close(fd)


def raise_if_stopped() -> None:
    """Raise :class:`TrialStopped` once hypermax asked this trial to stop; called by reports.

    The trial's main process learns it by :data:`STOP_SIGNAL`; another process of the trial
    (one it forked or spawned) by :data:`STOP_FILE`. The main process leaves
    :data:`STOPPED_FILE` when it first raises: the trial's function reached its stop."""
    main = os.getpid() == _StopRequest.pid
    if not _StopRequest.asked and not main:
        _StopRequest.asked = _trial_file_exists(STOP_FILE)
    if _StopRequest.asked:
        if not _StopRequest.raised and main:
            _leave_trial_file(STOPPED_FILE)
        _StopRequest.raised = True
        raise TrialStopped("hypermax stopped this trial early")


def _trial_file(name: str) -> str | None:
    """The path of ``name`` beside the trial's result file; None outside a trial."""
    result_file = os.environ.get(RESULT_FILE_ENV)
    return os.path.join(os.path.dirname(result_file), name) if result_file else None


def _trial_file_exists(name: str) -> bool:
    path = _trial_file(name)
    return path is not None and os.path.exists(path)


def _leave_trial_file(name: str) -> None:
    path = _trial_file(name)
    if path is not None:
        try:  # noqa: SIM105 - contextlib costs every trial an import
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
        except OSError:  # a folder the trial made unwritable: hypermax waits as it would
            pass


def stopped_at_a_report() -> bool:
    """Whether a report of this trial raised :class:`TrialStopped` (it did not run to its end)."""
    return _StopRequest.raised


def format_report(step: int, metrics: dict[str, Any]) -> str:
    """The stdout line that carries one intermediate report."""
    import json  # here: a trial's bootstrap may never need it

    return REPORT_PREFIX + json.dumps({"step": step, **metrics}, default=jsonable)


def whole_step(value: Any, shown: Callable[[Any], str] | None = None) -> int:
    """A report's step as an int: an int, or a value that is one (``operator.index``: a numpy
    integer), as it is; a float that is a whole number (``2.0``, a numpy float too) as that int.

    Raises:
        TypeError: for anything else, naming it as ``shown`` writes it (as Python does, by
            default: a step given to ``reporter``): ``step must be a whole number (an epoch, a
            batch count), got 0.5``; so for ``"epoch1"``, ``None``, ``True``, NaN and infinities.
    """
    import operator  # here: a trial that never reports, or starts without site, skips it

    whole: int | None = None
    if type(value).__name__ not in ("bool", "bool_"):  # numpy 2 calls its bool "bool" too
        try:
            whole = operator.index(value)
        except TypeError:
            whole = _whole_float(value) if hasattr(type(value), "__float__") else None  # not str
    if whole is not None and -_STEP_BOUND < whole < _STEP_BOUND:
        return whole
    text = (shown or shown_value)(value)
    if whole is not None:  # 1e308: no count of epochs, and no float for a chart's axis
        raise TypeError(f"step must be an epoch or a batch count, below 2**63, got {text}")
    raise TypeError(f"step must be a whole number (an epoch, a batch count), got {text}")


#: steps are within (-2**63, 2**63): an int64, as numpy and databases hold one
_STEP_BOUND = 2**63


def shown_value(value: Any) -> str:
    """``repr(value)``, cut short: it goes into a one-line message."""
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python writes out
        return "an integer of thousands of digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _whole_float(value: Any) -> int | None:
    """The int a number is equal to as a float (2.0 → 2); None when it is not a whole one."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() else None


def parse_report(line: str) -> tuple[int, dict[str, Any]] | None:
    """``HYPERMAX_REPORT {"step": 3, "loss": 0.4}`` → (3, {"loss": 0.4}); None if not a report
    (the line does not start with :data:`REPORT_PREFIX`). A step that is a whole float (``2.0``)
    counts as that int; a missing step is step 0.

    Raises:
        ValueError: the line starts with the prefix but is no report hypermax can use: its rest
            is not JSON, or not a JSON object, or its step is not a whole number; or it starts
            with the prefix's word followed by something else than a space
            (``HYPERMAX_REPORT: {...}``, ``HYPERMAX_REPORT{...}``); says which.
    """
    if not line.startswith(REPORT_PREFIX):
        word = REPORT_PREFIX.rstrip()
        after = line[len(word) : len(word) + 1]
        if line.startswith(word) and not (after.isalnum() or after == "_"):  # not a longer word
            raise ValueError(
                f"{word} is to be followed by a space and a JSON object, got {shown_value(line)}"
            )
        return None
    import json

    try:
        data = json.loads(line[len(REPORT_PREFIX) :])
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    except RecursionError:  # ``[[[[...``: it must not stop the reading of the trial's output
        raise ValueError("not JSON: nested too deeply") from None
    from hypermax.values import json_text  # what the line holds is shown as JSON writes it

    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object: {json_text(data)}")
    try:
        step = whole_step(data.pop("step", 0), json_text)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    return step, data
