"""What passes between hypermax and a trial process: params in, reports and a result out.

Params reach the trial as a JSON file (env ``HYPERMAX_PARAMS_FILE``); a trial may write its result
to the file named by ``HYPERMAX_RESULT_FILE``, else the last stdout line that parses as a number
or a JSON object is its result. Progress comes as stdout lines ``HYPERMAX_REPORT {json}``.

Reports, early stopping's requests and its verdicts on them: :mod:`hypermax.execution.reports`.
This module is imported by the child bootstrap: standard library only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from typing import Any

#: a terminal escape sequence: CSI (colours, cursor moves), OSC (a window title, the clipboard)
#: up to its end, or a two-character one (a pattern for ``re``, which trials do not import)
ESCAPE_PATTERN = r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)"
PARAMS_FILE_ENV = "HYPERMAX_PARAMS_FILE"
RESULT_FILE_ENV = "HYPERMAX_RESULT_FILE"
#: the largest result (its JSON, in bytes) a forked ``python_function`` trial sends hypermax
#: over the socket its request gave it, rather than writing the result file: a file's inode
#: costs such a trial more than anything else it does once its function returned
RESULT_PACKET_MAX = 32 * 1024
#: beside the result file: the peak RSS (kB) a ``python_function`` trial's process reached by
#: the time its function ended, which ``wait4`` cannot tell of a process that started as
#: hypermax's (its ``ru_maxrss`` is hypermax's high-water mark, when that is higher)
PEAK_FILE = ".hypermax_peak"
TRIAL_DIR_ENV = "HYPERMAX_TRIAL_DIR"
TRIAL_ID_ENV = "HYPERMAX_TRIAL_ID"
#: the read end of a pipe whose write end only hypermax holds: end of file means hypermax is gone
LIFELINE_FD_ENV = "HYPERMAX_LIFELINE_FD"
#: the pid of hypermax, for a ``python_function`` trial that ties itself to hypermax when it
#: starts (see :func:`hypermax.execution.child.main`) instead of between fork and exec
PARENT_PID_ENV = "HYPERMAX_PARENT_PID"
#: the module a ``python_function`` trial's interpreter runs
CHILD_MODULE = "hypermax.execution.child"
#: how the interpreter runs it: ``python -c CHILD_CODE --name ...`` imports no ``runpy``, which
#: ``python -m`` costs every trial
CHILD_ARGS = ("-c", f"import sys; from {CHILD_MODULE} import main; sys.exit(main())")
#: what ``site`` gave a normal start of the trial's interpreter, for a trial started without it
#: (``-S``) to replay (see :mod:`hypermax.execution.fresh`); packed as :func:`pack` packs
SITE_STATE_ENV = "HYPERMAX_SITE_STATE"
#: "1" in hypermax's environment or the spec's ``env``: trials' interpreters start with ``site``
TRIAL_SITE_ENV = "HYPERMAX_TRIAL_SITE"
#: the params again, for a ``python_function`` trial's bootstrap: marshalled, in hex (see
#: :func:`pack_params`), which it reads without importing ``json``
PARAMS_PACKED_ENV = "HYPERMAX_PARAMS_PACKED"
#: the longest packed params put in the environment; longer ones are read from the file
MAX_PACKED = 32 * 1024
#: a value unique to one trial, inherited by every process it starts: the watchdog finds by it
#: the processes that left the trial's session
TOKEN_ENV = "HYPERMAX_TRIAL_TOKEN"
REPORT_PREFIX = "HYPERMAX_REPORT "
ERROR_KEY = "__hypermax_error__"
#: a ``python_function`` trial that could not write its result (or its error) for want of space
#: says this on stderr and exits with :data:`NO_SPACE_EXIT` (``EX_TEMPFAIL``): the disk's
#: fault, not the trial's, so it is recorded interrupted and runs again once there is room
NO_SPACE_LINE = "[hypermax: no space left on device for the trial's result]"
NO_SPACE_EXIT = 75
NO_SPACE_REASON = "no space left on device for its result"
#: a trial that did not start, its files made before the disk filled up: recorded interrupted,
#: like one without room for its result, to run once there is room
NOT_STARTED_NO_SPACE_REASON = "not started: no space left on device"
#: stdout lines longer than this are logged but never parsed (and never held whole in memory)
MAX_PARSED_LINE = 64 * 1024
#: set by the runner (the function's ``kill_grace``): once a python_function returned, how long
#: threads it left running may hold its process before it exits without them
EXIT_WAIT_ENV = "HYPERMAX_EXIT_WAIT"


def parse_result_line(line: str) -> dict[str, Any] | None:
    """A stdout line that is a number or a JSON object → the result dict; else None."""
    text = line.strip()
    if not text or text[0] not in "-+.0123456789{NnIi":
        return None
    if text[0] != "{" and "_" in text:
        return None  # "2_5" is a name (a run's, a file's), though Python's float() reads 25
    import json

    try:
        value = json.loads(text) if text[0] == "{" else float(text)
    except (ValueError, RecursionError):
        return None
    return normalise_result(value)


def normalise_result(value: Any) -> dict[str, Any] | None:
    """A trial's return value → a result dict (a bare number is the loss); None if unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return {"loss": float(value)}
        except OverflowError:  # an integer past the largest float: the loss says it is inf
            return {"loss": value}
    if isinstance(value, dict):
        return value
    return None


def jsonable(value: Any) -> Any:
    """numpy scalars and arrays (torch's tensors too), a pandas Series (a dict of its labels),
    other numbers (``Decimal``, ``Fraction``), paths and sets → JSON values."""
    if getattr(value, "ndim", None) == 1 and callable(getattr(value, "to_dict", None)):
        return value.to_dict()
    for method in ("item", "tolist"):  # a numpy scalar, a 0-d or 1-element array, an array
        convert = getattr(value, method, None)
        if not callable(convert):
            continue
        try:
            converted = convert()
        except Exception:  # an array of many: numpy's ValueError, a torch tensor's RuntimeError
            continue
        if type(converted) is not type(value):  # a longdouble's item() is itself: float() it
            return converted
    if isinstance(value, set | tuple):
        return list(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    import numbers  # here: only a trial that returns an unusual value pays for it

    complex_only = isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)
    if isinstance(value, numbers.Number) and not complex_only:  # a complex one: its repr
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:  # a Fraction past the largest float: inf, as an int's or Decimal's
            return float("inf") if value > 0 else float("-inf")  # type: ignore[operator]
        except (TypeError, ValueError):
            pass
    return repr(value)


def dump_json(value: Any) -> str:
    """JSON with NaN and infinities kept as the strings "NaN"/"Infinity" would be invalid JSON."""
    import json  # here: a trial's bootstrap may never need it

    try:
        return json.dumps(value, default=jsonable, allow_nan=True)
    except TypeError:  # a key JSON cannot hold (a numpy integer, a tuple): as one it can
        return json.dumps(_keys_held(value, ()), default=jsonable, allow_nan=True)


#: the types of the keys of a JSON object as ``json`` writes them
_KEY_TYPES = (str, int, float, bool, type(None))


def _keys_held(value: Any, within: tuple[int, ...]) -> Any:
    """``value`` with each key of its dicts that JSON cannot hold as one that it can: a numpy
    number as the number it holds (``dict(zip(np.unique(y), scores))``), any other as its
    text (``(1, 2)``: ``"(1, 2)"``). ``within``: the dicts and lists it is inside."""
    if not isinstance(value, dict | list | tuple):
        return value
    if id(value) in within:
        raise ValueError("Circular reference detected")  # as json says it
    within = (*within, id(value))
    if isinstance(value, dict):
        return {_key_held(key): _keys_held(item, within) for key, item in value.items()}
    return [_keys_held(item, within) for item in value]


def _key_held(key: Any) -> Any:
    if isinstance(key, _KEY_TYPES):
        return key
    held = jsonable(key)
    return held if isinstance(held, _KEY_TYPES) else str(key)


def write_atomic(path: str | os.PathLike[str], text: str, durable: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and a rename.

    A reader sees the old file or the new one, never half of one. ``durable`` also flushes the
    data to disk before the rename, so that a crash of the machine cannot leave an empty file
    in place of the old one; a trial's result file skips that (it costs the trial a disk write,
    and a trial that did not finish before a crash runs again anyway).
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.tmp{os.getpid()}")
    if not isinstance(text, str):
        raise TypeError(f"write_atomic() writes text, not {type(text).__name__}")
    # a lone surrogate (JSON's "\ud800"), which UTF-8 cannot hold, is written as its escape
    data = memoryview(text.encode("utf-8", "backslashreplace"))
    try:
        # system calls, not a text file's three layers of objects: a trial forked from the
        # preload server copies each page that making objects writes to
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            while data:
                data = data[os.write(fd, data) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def plain_json(value: Any) -> str | None:
    """What :func:`dump_json` makes of a number, a plain string, true, false, null or a flat
    dict of those with string keys, made without ``json`` (which costs a trial's bootstrap the
    import of ``re``); None for anything else."""
    kind = type(value)
    if kind is dict:
        parts = []
        for key, item in value.items():
            text = plain_json(item) if type(item) is not dict else None
            if type(key) is not str or text is None:
                return None
            name = plain_json(key)
            if name is None:
                return None
            parts.append(f"{name}: {text}")
        return "{" + ", ".join(parts) + "}"
    if kind is float:
        if value != value:
            return "NaN"
        if value in (_INFINITY, -_INFINITY):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if kind is int:
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is str and value.isascii() and value.isprintable():
        return None if '"' in value or "\\" in value else f'"{value}"'
    return None


_INFINITY = float("inf")


def pack_params(params_json: str) -> str | None:
    """The params (their JSON text, as in the params file) as :data:`PARAMS_PACKED_ENV` carries
    them: marshalled by this interpreter, which is the trial's, in hex; None when too long."""
    import json

    packed = pack(json.loads(params_json))
    return packed if len(packed) <= MAX_PACKED else None


def pack(value: Any) -> str:
    """Plain data (dicts, lists, tuples, strings, numbers, None) as an environment variable
    carries it to a trial, which reads it without ``json``: marshalled by this interpreter (the
    trial's), in hex."""
    import marshal

    return marshal.dumps(value).hex()


def read_params() -> Any:
    """In a trial: its params, from :data:`PARAMS_PACKED_ENV` if there, else from the file."""
    packed = os.environ.get(PARAMS_PACKED_ENV)
    if packed:
        import marshal

        try:
            return marshal.loads(bytes.fromhex(packed))
        except (ValueError, EOFError, TypeError):
            pass  # not ours to read: the file says the same
    import json

    with open(os.environ[PARAMS_FILE_ENV], encoding="utf-8") as f:
        return json.load(f)
