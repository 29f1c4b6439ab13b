"""The bootstrap that runs a ``python_function`` trial inside its own process.

``python -c "...import main; sys.exit(main())" (--module NAME | --src PATH) --name FUNC [--path
DIR]`` (:data:`~.protocol.CHILD_ARGS`; ``python -m hypermax.execution.child`` does the same)
loads the function, calls it with the params from ``HYPERMAX_PARAMS_FILE`` (and a reporter when
it takes one) and writes the return value to ``HYPERMAX_RESULT_FILE``.

Every trial pays for what this module imports, so it imports only what an interpreter has loaded
anyway or nearly so: no argparse, no inspect, no importlib (its frozen bootstrap instead: the
package imports ``warnings``), no types, no runpy (it is not run with
``-m``), no json (the params come marshalled too, a plain result is written without it);
traceback only on a failure.

How the process ends once the function returned is :mod:`.trial_exit`'s job.

If hypermax dies, the trial must die too. On Linux the runner arranges that before the trial
starts (parent-death signal, and a SIGKILL to the trial's process group when the lifeline pipe
closes); where that could not be armed, :func:`.lifeline.watch_lifeline` does the same from a
thread.
"""

from __future__ import annotations

import _frozen_importlib  # what importlib.machinery is made of (loaded by every interpreter)
import _frozen_importlib_external
import _signal  # signal's C half: ``signal`` imports enum, which every trial would pay for
import faulthandler
import gc
import os
import sys
from _collections_abc import AsyncGenerator, Coroutine, Generator  # loaded by every interpreter

from hypermax.calling import signature, takes_keywords
from hypermax.execution import protocol, reports
from hypermax.execution.lifeline import tie_to_hypermax, watch_lifeline
from hypermax.execution.trial_exit import exit_quickly, exit_within, flush
from hypermax.execution.trial_result import (
    Destination,
    error_reason,
    result_text,
    writable,
    write_peak,
    write_result,
)

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_ModuleType = type(sys)  # types.ModuleType
_FunctionType = type(lambda: None)  # types.FunctionType
USAGE = "usage: python -m hypermax.execution.child (--module NAME | --src PATH) --name FUNC"
_OPTIONS = ("--module", "--src", "--name", "--path")
#: where hypermax compiled the objective's file (``--src``) for the trial: its byte code is read
#: from there (``sys.pycache_prefix``) rather than compiled again in every trial
CODE_CACHE_ENV = "HYPERMAX_CODE_CACHE"


class Reporter:
    """Passed to a trial function that asks for it: ``reporter(step, loss=0.4, acc=0.8)``.

    ``step`` is a whole number (an epoch, a batch count; ``2.0`` counts as 2); anything else
    raises TypeError that says so. Once hypermax stopped the trial early, a call raises
    :class:`~hypermax.execution.reports.TrialStopped` instead of reporting.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __call__(self, step: int, **metrics: Any) -> None:
        reports.send_report(self._stream, step, metrics, "reporter")


def parse_options(argv: list[str]) -> dict[str, str]:
    """``--name value`` pairs → {"name": value}; raises SystemExit(2) on anything else."""
    options: dict[str, str] = {}
    pairs = iter(argv)
    for flag in pairs:
        value = next(pairs, None)
        if flag not in _OPTIONS or value is None:
            raise SystemExit(f"{USAGE}\nunexpected: {flag}")
        options[flag[2:]] = value
    if "name" not in options or ("module" in options) == ("src" in options):
        raise SystemExit(USAGE)
    return options


def load_function(module: str | None, src: str | None, name: str) -> Callable[..., Any]:
    """The function ``name`` of an importable ``module`` or of the Python file ``src``; a
    dotted ``name`` is a path of attributes (``Model.train``, a static method).

    ``src`` is loaded the way Python runs a script: its folder first on ``sys.path`` (so that it
    imports the modules beside it), and under its own name when no module has it yet (so that
    what it defines can be pickled, by worker processes it starts for instance).
    """
    if src:
        folder, file = os.path.split(os.path.abspath(src))
        sys.path.insert(0, folder)
        stem = file[:-3] if file.endswith(".py") else file
        free = stem.isidentifier() and stem not in sys.modules
        mod_name = stem if free else "_hypermax_trial_module"
        loader = _frozen_importlib_external.SourceFileLoader(mod_name, src)
        mod = _ModuleType(mod_name)
        mod.__file__ = src
        mod.__loader__ = loader
        mod.__spec__ = _frozen_importlib.ModuleSpec(mod_name, loader, origin=src)
        sys.modules[mod_name] = mod
        cache = os.environ.pop(CODE_CACHE_ENV, "")
        if not cache:
            loader.exec_module(mod)
        else:  # hypermax compiled it there: no compile() here (its first call costs 1 ms)
            own, sys.pycache_prefix = sys.pycache_prefix, cache
            try:
                code = loader.get_code(mod_name)  # checked against the source, as always
            finally:
                sys.pycache_prefix = own
            if code is None:
                raise ImportError(f"cannot load {src}")
            exec(code, mod.__dict__)
    else:
        __import__(str(module))  # what importlib.import_module does, without importing importlib
        mod = sys.modules[str(module)]
    fn: Any = mod
    for part in name.split("."):  # "Model.train": a function inside a class of the module
        fn = getattr(fn, part)
    return fn


class _Known:
    """The function a preload server loaded, and how it takes its arguments (read once there,
    rather than in each trial it forks: see :func:`read_signature_now`)."""

    function: object = None
    signature: Any = None


def read_signature_now(fn: Callable[..., Any]) -> None:
    """Read how ``fn`` takes its arguments now, for every trial to come in this process and
    in those it forks."""
    _Known.function, _Known.signature = fn, signature(fn)


def _call(fn: Callable[..., Any], params: Any) -> Any:
    sig = _Known.signature if _Known.function is fn else signature(fn)
    how = sig.reporter
    reporter = Reporter(sys.stdout) if how else None
    if takes_keywords(sig, params):
        return fn(**params, reporter=reporter) if how == "keyword" else fn(**params)
    if how == "keyword":
        return fn(params, reporter=reporter)
    if how == "positional":
        return fn(params, reporter)
    return fn(params)


def main(argv: list[str] | None = None) -> int:
    """Run the trial function once; 0 when it returned or was stopped early, 1 when it raised.

    A trial stopped early (a report raised TrialStopped) writes no result, even if it caught the
    exception and returned: it did not run to its end.
    """
    if argv is None:  # the trial's process: hypermax started it with the terminal's stops held
        # (see :mod:`hypermax.execution.process_start`: one that came meanwhile is dropped as
        # they are let in, the trial leading a session of its own), and with what else the
        # thread that started it blocks (a program's thread may block SIGTERM, which the trial
        # must hear): all let in
        _signal.pthread_sigmask(_signal.SIG_SETMASK, ())
    start_site()
    own_process = argv is None and sys.argv[:1] == ["-c"]  # started as ``python -c CHILD_CODE``
    if own_process:
        sys.argv[0] = __file__  # what ``python -m`` would show the trial
        if sys.path[:1] == [""]:
            sys.path[0] = os.getcwd()
    faulthandler.enable()  # a segfault in the trial leaves the Python stack in its log
    tie_to_hypermax()
    watch_lifeline()
    reports.listen_for_stop()
    options = parse_options(sys.argv[1:] if argv is None else argv)
    add_search_path(options)
    before = frozenset(sys.modules)
    if own_process:
        gc.freeze()  # the bootstrap's objects: the collection at a quick exit skips them
    objective: list[str] = []  # the objective's own modules, once it is loaded

    def load() -> Callable[..., Any]:
        module = options.get("module")
        fn = load_function(module, options.get("src"), options["name"])
        parts = module.split(".") if module else []
        objective.extend(".".join(parts[: i + 1]) for i in range(len(parts)))  # its packages
        objective.append(str(getattr(fn, "__module__", "")))
        return fn

    code = run_trial(load)
    exit_within(code)
    if own_process and objective:
        exit_quickly(code, before, frozenset(objective))
    return code


def start_site() -> None:
    """In a trial started without ``site`` (``-S``): what ``site`` did for a normal start.

    hypermax found it by a probe and passes it in ``HYPERMAX_SITE_STATE`` (see
    :mod:`hypermax.execution.fresh`): the ``sys.path`` it built, a virtual environment's
    ``sys.prefix``, ``site``'s own settings, the ``exit``/``help`` built-ins, and the ``.pth``
    code lines to run here. Should this interpreter's ``sys.path`` before ``site`` differ from
    the probe's (a relative ``PYTHONPATH`` entry, for one), the trial starts again with ``site``.
    """
    packed = os.environ.pop(protocol.SITE_STATE_ENV, "")
    if not packed or not sys.flags.no_site:
        return
    import marshal

    state = marshal.loads(bytes.fromhex(packed))
    skip = 0 if sys.flags.safe_path else 1  # the entry of ``-c``: added after ``site`` runs
    if sys.path[skip:] != state["before"]:
        os.execv(sys.executable, [sys.executable, *protocol.CHILD_ARGS, *sys.argv[1:]])
    sys.path[skip:] = state["path"]
    import site

    sys.prefix, sys.exec_prefix = state["prefix"], state["exec_prefix"]
    if state["home"] is not None:
        sys._home = state["home"]  # type: ignore[attr-defined]
    site.PREFIXES[:] = state["prefixes"]
    site.ENABLE_USER_SITE = state["enable_user_site"]
    site.USER_BASE, site.USER_SITE = state["user_base"], state["user_site"]
    site.setquit()
    site.setcopyright()
    site.sethelper()
    if not sys.flags.isolated:
        site.enablerlcompleter()
    for folder, name, line in state["replay"]:  # as ``site.addpackage`` runs them
        exec(line, vars(site), {"sitedir": folder, "name": name})


def add_search_path(options: dict[str, str]) -> None:
    """Put the spec's folder first on ``sys.path``: ``module`` is resolved from there."""
    sys.path.insert(0, os.path.abspath(options.get("path", ".")))


def run_trial(
    load: Callable[[], Callable[..., Any]], leave_peak: bool = True, result_socket: int = -1
) -> int:
    """One trial in this process: params in, the function called, its result (or error) out.

    ``load`` gives the trial function: a fresh process imports it here, a trial forked from a
    preloaded server (:mod:`.forkserver`) hands over the one the server loaded. The params come
    from ``HYPERMAX_PARAMS_FILE``; an ``async def`` function is run to its end with
    ``asyncio.run``; the return value, or the reason of a failure, goes to
    ``HYPERMAX_RESULT_FILE`` and a traceback to stderr. Returns the exit code: 0 when the
    function returned or was stopped early (then no result is written, even if the function
    caught :class:`~hypermax.execution.reports.TrialStopped` and returned), 1 when loading or
    calling it raised.

    ``leave_peak``: leave the process's peak RSS beside the result (:data:`~.protocol.PEAK_FILE`)
    for hypermax, which cannot always tell it otherwise; a forked trial's server reads it from
    the trial's reaping, and the trial makes no file for it.

    ``result_socket``: a forked trial's socket to hypermax (a ``SOCK_SEQPACKET`` fd, -1: none);
    a result of up to :data:`~.protocol.RESULT_PACKET_MAX` bytes goes there as one packet, and
    no result file is made; a larger one, or one the socket does not take, goes to the file.
    """
    result_file = os.environ[protocol.RESULT_FILE_ENV]
    reports.keep_report_stream()
    _hear_ctrl_c()
    to = Destination(result_file, result_socket)
    try:
        code = _run_trial(load, to)
    finally:
        if leave_peak and to.pid == os.getpid():
            write_peak(os.path.dirname(result_file))
    if code == _ENDED_BY_CTRL_C:
        _end_by_sigint()
    return code


#: what :func:`_run_trial` returns when a SIGINT that reached the trial raised KeyboardInterrupt
_ENDED_BY_CTRL_C = -_signal.SIGINT


class _CtrlC:
    """Whether a SIGINT reached this trial: a KeyboardInterrupt the function raised itself
    (``raise KeyboardInterrupt``) is its own failure, not a Ctrl-C."""

    heard = False


def _on_sigint(signum: int, frame: Any) -> None:
    _CtrlC.heard = True
    _signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt, as Python's own


def _hear_ctrl_c() -> None:
    """Note a SIGINT before it raises KeyboardInterrupt, as Python's own handler does (kept
    when SIGINT is ignored or has another handler)."""
    _CtrlC.heard = False
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, _on_sigint)


def _ctrl_c_heard() -> bool:
    """Whether the KeyboardInterrupt being handled came from a SIGINT: one noted, or one that
    a handler of the function's own (which hypermax cannot see into) may have turned into it.
    With SIGINT ignored or at its default action, none could have."""
    handler = _signal.getsignal(_signal.SIGINT)
    return _CtrlC.heard or (callable(handler) and handler is not _on_sigint)


def _end_by_sigint() -> None:
    """End this process by SIGINT, as Python ends on a KeyboardInterrupt nothing caught: a trial
    that a SIGINT reached (sent with a search's interrupt, to every process) is then told from
    one that failed by itself, and recorded ``interrupted`` with the search, as an executable
    trial is, not ``failed``."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib costs every trial an import
            flush(stream)
        except Exception:
            pass
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGINT)
    os._exit(128 + _signal.SIGINT)  # only should SIGINT be blocked


#: why a trial whose function yields fails: it returned a generator, which nothing runs
GENERATOR_REASON = (
    "the function is a generator (it yields): return the loss, or a dict of metrics; report "
    "progress with its reporter or hypermax.report"
)


def _run_trial(load: Callable[[], Callable[..., Any]], to: Destination) -> int:
    try:
        params = protocol.read_params()
        value = _call(load(), params)
        # by type: a dict that answers any attribute (addict's, mmcv's ConfigDict) is a result;
        # a plain value is neither of those, known without the ABCs' checks (which, in a trial
        # forked from a preload server, cost the copies of the pages their caches are on)
        if type(value) not in _PLAIN and isinstance(value, Coroutine):  # ``async def``'s
            import asyncio

            value = asyncio.run(value)
        if type(value) not in _PLAIN and isinstance(value, Generator | AsyncGenerator):  # yields
            error = result_text({protocol.ERROR_KEY: GENERATOR_REASON})
            return write_result(to, error) or 1
    except reports.TrialStopped:
        flush(sys.stdout)
        return 0
    except KeyboardInterrupt as exc:
        _log_traceback()
        if _ctrl_c_heard():
            return _ENDED_BY_CTRL_C
        return write_result(to, result_text({protocol.ERROR_KEY: error_reason(exc)})) or 1
    except BaseException as exc:
        _log_traceback()
        error = result_text({protocol.ERROR_KEY: error_reason(exc)})
        return write_result(to, error) or 1
    if not reports.stopped_at_a_report():
        try:
            text = result_text(value)
        except (ValueError, RecursionError) as exc:  # it holds itself, or nests too deep
            reason = f"the result cannot be written as JSON: {error_reason(exc)}"
            return write_result(to, result_text({protocol.ERROR_KEY: reason})) or 1
        except Exception as exc:  # a value's own __repr__, __float__ or item() raised
            _log_traceback()
            reason = f"the result cannot be written as JSON: {error_reason(exc)}"
            return write_result(to, result_text({protocol.ERROR_KEY: reason})) or 1
        code = write_result(to, text)
        if code:
            return code
    flush(sys.stdout)
    return 0


#: the types of the usual results: no coroutine, no generator
_PLAIN = frozenset({float, int, dict, str, bool, type(None), list, tuple})


def _log_traceback() -> None:
    """The traceback of the exception being handled, to the trial's log, even when the function
    set ``sys.stderr`` to None (or to its own object), or closed the process's own."""
    import traceback

    stderr = writable(sys.stderr) or writable(sys.__stderr__)
    if stderr is not None:
        traceback.print_exc(file=stderr)
        flush(stderr)
    else:  # straight to the log
        os.write(2, traceback.format_exc().encode(errors="backslashreplace"))


if __name__ == "__main__":
    sys.exit(main())
