"""How a trial process ends once its function returned, and the result is written.

Part of the trial's bootstrap (:mod:`.child`): every trial pays for what it imports, so it
imports only what an interpreter has loaded anyway. Two jobs: the process must end even when
its exit does not by itself (:func:`exit_within`), and a trivial trial should not pay for the
interpreter's teardown when nobody could see it (:func:`exit_quickly`).
"""

from __future__ import annotations

import _signal  # signal's C half: ``signal`` imports enum, which every trial would pay for
import gc
import os
import sys
import time

from hypermax.execution import protocol

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from typing import Any

_ModuleType = type(sys)  # types.ModuleType


def exit_quickly(code: int, before: frozenset[str], objective: frozenset[str]) -> None:
    """End this trial process now with ``code`` when the interpreter's own teardown would do
    nothing more that anyone could see; else return (and the interpreter exits as usual).

    That teardown (clearing every module, collections, freeing the interpreter) costs a trivial
    trial about 1 ms, a tenth of its process. It is skipped only when the trial loaded no module
    but those loaded ``before`` the objective and ``objective`` (the module of the objective's
    function, and the packages of its ``module``), and started no thread: then
    what it does is done here — the ``atexit`` functions run, the objective's modules are
    cleared and a collection runs (so their objects' ``__del__`` run and the files they left
    open are flushed; modules loaded before the objective are left as they are), stdout and
    stderr are flushed — and the process exits at once. A flush
    that fails leaves it to the interpreter, which reports it as it always does.
    """
    if "threading" in sys.modules or set(sys.modules) - before - objective:
        return
    import atexit

    atexit._run_exitfuncs()
    for name in sorted(objective - before, reverse=True):  # a package's modules first
        module = sys.modules.get(name)
        if isinstance(module, _ModuleType):
            vars(module).clear()
    gc.collect()
    try:
        flush(sys.stdout)
        flush(sys.stderr)
    except Exception:  # the interpreter's exit reports it, with its own exit code
        return
    os._exit(code)


def exit_within(code: int) -> None:
    """The trial's function returned: have this process exit soon even if its exit does not end
    on its own: threads it started (not daemons) still run, which an interpreter waits for at
    exit, for ever if they never end; or an ``atexit`` function or a finalizer never returns.

    They get ``HYPERMAX_EXIT_WAIT`` seconds (the function's ``kill_grace``; 2 without it) from
    now, as the interpreter's exit goes on (a thread pool left open ends there); then a note
    goes to the trial's log and the process exits with ``code``, its result written. Threads
    left running are waited for by a thread, and :data:`ALARM_AFTER_THREAD` seconds later by
    the timer (that thread runs no more once the exit is past them); otherwise a timer signal
    (``SIGALRM``) alone ends the wait, which needs no thread (``threading`` costs a trivial
    trial more than it does). Once the interpreter's exit took its handler away, ``SIGALRM``
    ends the process by itself: hypermax keeps the result all the same (see
    :func:`.outcome.exit_outlasted_the_wait`).
    """
    try:
        wait = float(os.environ.get(protocol.EXIT_WAIT_ENV, "2"))
    except ValueError:
        wait = 2.0
    threading = sys.modules.get("threading")
    if threading is None:  # nothing imported it: no thread was started
        _exit_on_alarm(code, wait)
        return
    main = threading.main_thread()
    left = [t for t in threading.enumerate() if t is not main and not t.daemon]
    if not left:
        _exit_on_alarm(code, wait)
        return

    def leave() -> None:
        time.sleep(wait)
        names = ", ".join(t.name for t in left if t.is_alive())
        why = f"its threads ({names}) still ran {wait:g} s later (kill_grace)"
        _leave(code, f"{why}: the trial exits without them")

    threading.Thread(target=leave, name="hypermax-exit", daemon=True).start()
    # the thread runs no more once the interpreter's exit is past waiting for threads: should
    # the threads end and a finalizer then never return, the timer ends the process
    _exit_on_alarm(code, wait, ALARM_AFTER_THREAD)


#: how much later than the thread that waits for threads left running the timer ends the exit
ALARM_AFTER_THREAD = 0.5


def _exit_on_alarm(code: int, wait: float, later: float = 0.0) -> None:
    """Exit with ``code`` when the process has not ended ``wait`` (and ``later``) seconds from
    now."""

    def on_alarm(signum: int, frame: object) -> None:
        _leave(
            code,
            f"its process had not ended {wait:g} s later (kill_grace; an atexit function or a "
            "finalizer that does not return): the trial exits without waiting for it",
        )

    _signal.signal(_signal.SIGALRM, on_alarm)
    _signal.setitimer(_signal.ITIMER_REAL, max(wait + later, 0.001))


def _leave(code: int, why: str) -> None:
    """End the process now with ``code``, its result written, saying ``why`` in its log."""
    note = f"\n[hypermax: the function returned, but {why}]\n"
    os.write(2, note.encode(errors="replace"))
    os._exit(code)


def flush(stream: Any) -> None:
    """Flush ``stream`` when it is one (not the None a function silenced it with) and open (not
    the file ``with open(os.devnull, "w") as sys.stdout:`` left closed in its place)."""
    flush = getattr(stream, "flush", None)
    if callable(flush) and not getattr(stream, "closed", False):
        flush()
