"""``python_function`` trials for early stopping: each leaves ``up`` (its pid) in its folder once it
reported step 1, and ``finally`` (the last step it began) when its ``finally`` block runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def _folder() -> Path:
    return Path(os.environ["HYPERMAX_TRIAL_DIR"])


def _leave(name: str, text: str) -> None:
    """Write a sentinel whole: a reader sees it complete or not at all."""
    (_folder() / f".{name}").write_text(text)
    os.replace(_folder() / f".{name}", _folder() / name)


def _up() -> None:
    _leave("up", str(os.getpid()))


def report_until_stopped(params: dict[str, Any], reporter: Any) -> float:
    """Reports step after step (a step's work takes 10 ms) until a report raises."""
    step = 0
    try:
        while True:
            step += 1
            if params.get("via") == "hypermax.report":
                import hypermax

                hypermax.report(step, loss=1.0 / step)
            else:
                reporter(step, loss=1.0 / step)
            if step == 1:
                _up()
            time.sleep(0.01)
    finally:
        _leave("finally", str(step))


def report_once_then_compute(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1, then computes for ever without reporting again."""
    reporter(1, loss=1.0)
    _up()
    while True:
        time.sleep(60)


def report_once_then_return_on_go(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1, then returns 0.25 without another report once ``go`` exists."""
    reporter(1, loss=1.0)
    _up()
    while not (_folder() / "go").exists():
        time.sleep(0.01)
    return 0.25


def report_again_on_go(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1, then step 2 once ``go`` exists (a report that raises when stopped)."""
    reporter(1, loss=1.0)
    _up()
    while not (_folder() / "go").exists():
        time.sleep(0.01)
    reporter(2, loss=0.5)
    return 0.5


def clean_up_on_go_after_sigterm(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1; on SIGTERM leaves ``sigterm``, then cleans up until ``go`` exists,
    leaves ``finally`` and exits."""
    import signal
    import sys

    def clean_up(signum: int, frame: Any) -> None:
        _leave("sigterm", "")
        while not (_folder() / "go").exists():
            time.sleep(0.01)
        _leave("finally", "1")
        sys.exit(143)

    signal.signal(signal.SIGTERM, clean_up)
    reporter(1, loss=1.0)
    _up()
    while True:
        time.sleep(60)


def swallow_the_stop(params: dict[str, Any], reporter: Any) -> float:
    """Reports until a report raises, catches that and returns a loss anyway."""
    import hypermax

    step = 0
    try:
        while True:
            step += 1
            reporter(step, loss=1.0)
            if step == 1:
                _up()
            time.sleep(0.01)
    except hypermax.TrialStopped:
        return 0.125


def eat_on_go_ignoring_sigterm(params: dict[str, Any], reporter: Any) -> float:
    """Ignores SIGTERM; reports step 1 after 0.6 s (so a stop gives it twice that to reach
    its next report, which never comes), then, once ``go`` is in its folder, writes
    ``params["mib"]`` MiB and holds them for ever."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(0.6)
    reporter(1, loss=1.0)
    _up()
    while not (_folder() / "go").exists():
        time.sleep(0.01)
    held = b"x" * (params["mib"] << 20)  # written: every page is in memory
    while held:
        time.sleep(60)
    return 1.0


def checkpoint_until_done(params: dict[str, Any], reporter: Any) -> float:
    """Reports step after step until a report raises; its ``finally`` (a checkpoint it saves)
    lasts until ``done`` is in its folder, then leaves ``finally``."""
    step = 0
    try:
        while True:
            step += 1
            reporter(step, loss=1.0)
            if step == 1:
                _up()
            time.sleep(0.01)
    finally:
        while not (_folder() / "done").exists():
            time.sleep(0.01)
        _leave("finally", str(step))


def _report_in_a_worker(via: str) -> None:
    import hypermax

    step = 0
    try:
        while True:
            step += 1
            hypermax.report(step, loss=1.0 / step)
            if step == 1:
                _up()
            time.sleep(0.01)
    except hypermax.TrialStopped:
        _leave("worker_stopped", str(step))
        raise


def report_from_a_worker(params: dict[str, Any], reporter: Any) -> float:
    """Reports only from a ``multiprocessing`` worker (``params["start"]``: ``fork`` or
    ``spawn``), until a report there raises; the raise comes back to the function through the
    worker's future. The worker leaves ``worker_stopped`` (the step that raised)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(params.get("start", "fork"))
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        pool.submit(_report_in_a_worker, "hypermax.report").result()
    return 1.0


def report_once_then_return_on_sigterm(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1, then computes without reporting again; on SIGTERM it stops computing
    and returns 0.125 (a training loop that ends on a signal, returning its loss)."""
    import signal

    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    reporter(1, loss=1.0)
    _up()
    while not stop:
        time.sleep(0.01)
    return 0.125


def report_once_then_return_on_go_or_sigterm(params: dict[str, Any], reporter: Any) -> float:
    """Reports step 1, then computes without reporting again; once ``go`` exists it returns
    0.25, and goes on ending (a thread holds its exit) until SIGTERM, which it ends at."""
    import signal
    import threading

    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))
    reporter(1, loss=1.0)
    _up()
    while not (_folder() / "go").exists():
        time.sleep(0.01)
    threading.Thread(target=time.sleep, args=(60,), name="lingering").start()
    return 0.25
