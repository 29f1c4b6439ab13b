"""The bootstrap that runs a ``python_function`` trial inside its own process.

``python -m hypermax.execution.child (--module NAME | --src PATH) --name FUNC --path DIR``
loads the function, calls it with the params from ``HYPERMAX_PARAMS_FILE`` (and a reporter when
it takes one) and writes the return value to ``HYPERMAX_RESULT_FILE``. Standard library only, so a
trivial trial costs little more than an interpreter start.

If hypermax dies, the trial must die too. On Linux the runner arranges that before the trial
starts (parent-death signal, and a SIGKILL to the trial's process group when the lifeline pipe
closes); where that could not be armed, :func:`watch_lifeline` does the same from a thread.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import fcntl
import importlib
import importlib.util
import inspect
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from hypermax.execution import protocol


class Reporter:
    """Passed to a trial function that asks for it: ``reporter(step, loss=0.4, acc=0.8)``."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __call__(self, step: int, **metrics: Any) -> None:
        self._stream.write(protocol.format_report(int(step), metrics) + "\n")
        self._stream.flush()


def load_function(module: str | None, src: str | None, name: str) -> Callable[..., Any]:
    if src:
        spec = importlib.util.spec_from_file_location("_hypermax_trial_module", src)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {src}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(str(module))
    return getattr(mod, name)


def wants_reporter(fn: Callable[..., Any]) -> str | None:
    """'positional', 'keyword' or None: how the function takes a reporter, if it does."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.name == "reporter" and p.kind is not p.VAR_POSITIONAL for p in params):
        return "keyword"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return "positional" if len(positional) >= 2 else None


def watch_lifeline() -> Any:
    """When the lifeline is not armed in the kernel, watch it from a thread; return the thread.

    The watcher kills the trial's whole process group (this process included) once the pipe
    reaches end of file, which happens when hypermax exits, however it exits.
    """
    fd = _lifeline_fd()
    if fd is None or _armed(fd):
        return None
    import threading  # only here: most trials never need it

    watcher = threading.Thread(target=_die_with_lifeline, args=(fd,), daemon=True)
    watcher.start()
    return watcher


def _lifeline_fd() -> int | None:
    value = os.environ.get(protocol.LIFELINE_FD_ENV, "")
    if not value.isdigit():
        return None
    try:
        os.fstat(int(value))
    except OSError:
        return None
    return int(value)


def _armed(fd: int) -> bool:
    """Whether the runner set the pipe to signal this process group at end of file."""
    setsig = getattr(fcntl, "F_GETSIG", None)
    if setsig is None:
        return False
    try:
        return fcntl.fcntl(fd, setsig) == signal.SIGKILL and fcntl.fcntl(fd, fcntl.F_GETOWN) != 0
    except OSError:
        return False


def _die_with_lifeline(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 512):
            pass
    if os.getpgid(0) == os.getpid():  # the trial leads its own group: take all of it along
        with contextlib.suppress(OSError):
            os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


def main(argv: list[str] | None = None) -> int:
    faulthandler.enable()  # a segfault in the trial leaves the Python stack in its log
    watch_lifeline()
    parser = argparse.ArgumentParser(prog="hypermax-trial")
    parser.add_argument("--module")
    parser.add_argument("--src")
    parser.add_argument("--name", required=True)
    parser.add_argument("--path", default=".")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.path))
    result_file = os.environ[protocol.RESULT_FILE_ENV]
    try:
        with open(os.environ[protocol.PARAMS_FILE_ENV]) as f:
            params = json.load(f)
        fn = load_function(args.module, args.src, args.name)
        how = wants_reporter(fn)
        reporter = Reporter(sys.stdout)
        if how == "keyword":
            value = fn(params, reporter=reporter)
        elif how == "positional":
            value = fn(params, reporter)
        else:
            value = fn(params)
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.flush()
        reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        protocol.write_json_atomic(result_file, {protocol.ERROR_KEY: reason})
        return 1
    protocol.write_json_atomic(result_file, value)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
