"""What schema.json cannot say about the ``function`` section: whether its trials can start.

The module or ``src`` file of a ``python_function`` must be found the way a trial's process finds
it (the spec's folder first, then the installed modules), and a file found beside the spec must
define the function (read with ``ast``, never imported); the program of an ``executable`` must
exist and be executable. A ``cwd`` must be a folder; and an executable that runs a Python script
beside the spec, without a ``cwd``, is refused: its trials start in their own folders, where the
script is not.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hypermax.scripts import first_line_problem, not_runnable, path_list_from
from hypermax.shared_state import SYS_PATH
from hypermax.specfile.paths import path_problem, too_long
from hypermax.specfile.placeholders import PLACEHOLDER
from hypermax.specfile.problems import JsonPath, Problem
from hypermax.specfile.pyfile import read_function
from hypermax.specfile.regular_file import file_kind
from hypermax.specfile.trial_env import set_by_hypermax
from hypermax.system_text import MAX_ARG_BYTES, os_size
from hypermax.values import quoted


def function_problems(
    fn: dict[str, Any],
    folder: Path,
    on_cluster: bool = False,
    params: Sequence[str] | None = None,
) -> Iterator[Problem]:
    """Problems of the ``function`` section; ``folder`` is the spec's folder. ``on_cluster``:
    the trials run on Dask workers, which are to have the ``cwd`` and the program (this machine
    need not), while a ``python_function``'s code travels from here. ``params``: the top-level
    param names, when known, for a function that takes them as keywords."""
    for name in fn.get("env", {}):
        if not name or "=" in name:  # the system splits each variable at its first "="
            shown = "an empty name" if not name else f'the name {quoted(name)}, which holds "="'
            yield ("function", "env"), f"no environment variable can have {shown}"
        elif isinstance(value := fn["env"][name], str):
            if (why := set_by_hypermax(name, value)) is not None:
                yield ("function", "env", name), why
            size = os_size(name) + os_size(value) + 2  # "NAME=value" and its NUL
            if size > MAX_ARG_BYTES:
                yield (
                    ("function", "env", name),
                    (
                        f"is {size:,} bytes long as a variable (NAME=value), more than the "
                        f"{MAX_ARG_BYTES:,} the system lets one be"
                    ),
                )
    cwd_problem = None
    if "cwd" in fn and not on_cluster:
        cwd_problem = path_problem(fn["cwd"], folder, "folder")
    if cwd_problem is not None:
        yield ("function", "cwd"), cwd_problem
    if fn["type"] == "python_function":
        yield from _python_function_problems(fn, folder, params, on_cluster)
    else:
        found = cwd_problem is None and not on_cluster  # else the program is not looked for
        yield from _executable_problems(fn, folder, cwd_found=found, look_for_program=found)


def _python_function_problems(
    fn: dict[str, Any], folder: Path, params: Sequence[str] | None, on_cluster: bool
) -> Iterator[Problem]:
    if "command" in fn:
        yield ("function", "command"), 'is only used by "type": "executable"'
    if "module" in fn and "src" in fn:
        yield ("function",), 'give "module" or "src", not both'
    elif "module" in fn:
        yield from _module_problems(fn["module"], fn["name"], folder, params, on_cluster)
    elif "src" in fn:
        yield from _src_problems(fn["src"], fn["name"], folder, params)
    else:
        yield ("function",), 'needs "module" or "src"'


#: the original Hypermax's own modules, which specs written for it may name
_ORIGINAL_PACKAGE = "hypermax."


def _module_problems(
    module: str, name: str, folder: Path, params: Sequence[str] | None, on_cluster: bool
) -> Iterator[Problem]:
    """``on_cluster``: a module found neither beside the spec nor installed here is the
    workers' to have (installed in their environment or image), as their program and cwd are."""
    where = ("function", "module")
    if module.endswith(".py"):
        yield (
            where,
            f'must be a module name, not a file name (use "src": {quoted(module)})',
        )
        return
    origin = module_origin(module, folder)
    if origin is None and module.startswith(_ORIGINAL_PACKAGE):
        short = module.rsplit(".", 1)[-1]
        yield (
            where,
            (
                f"cannot find module {quoted(module)}: it belonged to the original Hypermax; "
                f'copy {short}.py beside the spec and name it "{short}"'
            ),
        )
    elif origin is None and not on_cluster:
        yield where, f"cannot find module {quoted(module)} in {folder}{_in_current(module, folder)}"
    elif origin is None:
        return
    elif origin.suffix == ".py" and origin.is_relative_to(folder.resolve()):
        # found beside the spec: read it; an installed module is left to the run
        yield from _file_problems(origin, origin.relative_to(folder.resolve()), name, params)


def _in_current(module: str, folder: Path) -> str:
    """Where the original Hypermax found ``module``, not found beside the spec: the current
    folder, when it holds it as a file (`` (the current folder holds it, ...)``); else ``""``."""
    try:
        here = Path.cwd()
    except OSError:  # removed since hypermax started in it
        return ""
    if here.resolve() == folder.resolve():
        return ""
    origin = module_origin(module, here)
    if origin is None or origin.suffix != ".py" or not origin.is_relative_to(here.resolve()):
        return ""
    src = os.path.relpath(origin, folder.resolve())
    return (
        " (the current folder holds it, where the original Hypermax imported it from:"
        f' "src": {quoted(src)} names it from the spec\'s folder)'
    )


def module_origin(name: str, folder: Path) -> Path | None:
    """The file ``name`` would be imported from with ``folder`` first on sys.path (the way a
    trial imports it), without importing it; None when it cannot be found.

    A module found but not in a file (built in, frozen, a namespace package) gives its name as a
    path that is no file. Parent packages are located with PathFinder instead of ``find_spec``,
    which would import them.
    """
    with SYS_PATH:
        return _module_origin(name, folder)


def _module_origin(name: str, folder: Path) -> Path | None:
    saved = list(sys.path)
    try:
        here = os.getcwd()
    except FileNotFoundError:  # removed while a shell was in it: no path names it any more
        here = ""
    # what a trial's process sees: the spec's folder, then the installed modules (not the
    # folder hypermax was started in)
    sys.path[:] = [str(folder), *(p for p in saved if p not in ("", here))]
    try:
        importlib.invalidate_caches()
        top, *rest = name.split(".")
        spec = importlib.util.find_spec(top)
        for depth in range(1, len(rest) + 1):
            if spec is None or not spec.submodule_search_locations:
                return None
            full_name = ".".join([top, *rest[:depth]])
            locations = list(spec.submodule_search_locations)
            try:
                spec = importlib.machinery.PathFinder.find_spec(full_name, locations)
            except KeyError:  # a namespace package, whose path looks for its parent's import
                spec = _namespace_spec(full_name, locations)
    except (ImportError, ValueError):
        return None
    finally:
        sys.path[:] = saved
    if spec is None:
        return None
    return Path(spec.origin) if spec.origin and spec.has_location else Path(name)


def _namespace_spec(name: str, locations: list[str]) -> importlib.machinery.ModuleSpec | None:
    """The spec of namespace package ``name`` (folders without ``__init__.py``) inside the
    package folders ``locations``, made without importing its parent; None if there is none."""
    last = name.rpartition(".")[2]
    folders = [str(Path(place, last)) for place in locations if Path(place, last).is_dir()]
    if not folders:
        return None
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = folders
    return spec


def _src_problems(
    src: str, name: str, folder: Path, params: Sequence[str] | None
) -> Iterator[Problem]:
    missing = path_problem(src, folder, "file")
    if missing is not None:
        yield ("function", "src"), missing
    else:
        yield from _file_problems(folder / src, src, name, params)


def _file_problems(
    file: Path, shown: str | Path, name: str, params: Sequence[str] | None
) -> Iterator[Problem]:
    """The function ``name`` must be in ``file`` (``shown`` as given) and, when it takes its
    params as keywords, take these."""
    missing, unfit = read_function(file, name, params)
    if missing is not None:
        yield ("function", "name"), f"{shown} {missing}"
    elif unfit is not None:
        yield ("function", "name"), f"{shown}: {unfit}"


def _executable_problems(
    fn: dict[str, Any], folder: Path, cwd_found: bool, look_for_program: bool = True
) -> Iterator[Problem]:
    for key in ("module", "src", "name", "preload"):
        if key in fn:
            yield ("function", key), 'is only used by "type": "python_function"'
    command = fn["command"]
    where: JsonPath = ("function", "command", 0)
    if isinstance(command, str):
        where = ("function", "command")
        try:
            command = shlex.split(command)
        except ValueError as exc:
            yield where, f"cannot be split into arguments: {exc}"
            return
        if not command:
            yield where, "must not be empty"
            return
        operator = shell_operator(fn["command"])
        if operator is not None:
            yield (
                where,
                f"{quoted(operator)} is shell syntax, and the command is not run by a shell: "
                'quote it to pass it to the program, or run one ("command": ["sh", "-c", "..."])',
            )
            return
    program = command[0]
    if look_for_program and (cwd_found or "/" not in program or Path(program).is_absolute()):
        # a relative path from a missing cwd is not looked for: the cwd's problem says why
        problem = program_problem(program, folder / fn.get("cwd", "."), fn.get("env", {}))
        if problem is not None:
            yield where, problem
    if cwd_found or "cwd" not in fn:
        yield from _script_problems(command, folder, fn.get("cwd"), where, look_for_program)


#: what a shell reads as a pipe, a list, a redirection or a background job where unquoted
_SHELL_OPERATOR = re.compile(r"[<>|&;]+[0-9-]*")


def shell_operator(command: str) -> str | None:
    """The first shell operator (``|``, ``&&``, ``;``, ``>``, ``>&1``, ``&``) or comment (a
    word that starts with ``#``) that ``command`` holds outside quotes, or None: split like a
    shell would, it reaches the program as an argument, where a shell would have piped,
    redirected or left it out."""
    quote = ""
    index = 0
    while index < len(command):
        char = command[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1  # the escaped character
        elif char in "'\"":
            quote = char
        elif char == "\\":
            index += 1
        elif char in "<>|&;":
            operator = _SHELL_OPERATOR.match(command, index)
            return operator.group() if operator else char
        elif char == "#" and (index == 0 or command[index - 1] in " \t\n"):
            return "#"
        index += 1
    return None


def program_problem(program: str, start: Path, env: dict[str, str]) -> str | None:
    """Why the program of a command cannot run, or None: a path (relative ones from ``start``)
    must be an executable file; a bare name must be found on ``PATH`` (the spec's, if it sets
    one). A program with a ``{placeholder}`` is only known at run time; other braces are part
    of its name."""
    if PLACEHOLDER.search(program):
        return None
    path = env.get("PATH")
    if path is not None:  # the spec's: named from the folder its trials may start in
        path = path_list_from(path, str(start.absolute()), empty_is_here=True)
    else:
        path = os.environ.get("PATH")
    if "/" in program:
        target = start / program
        if (why := too_long(target)) is not None:
            return f"{quoted(program)}: {why}"
        if target.exists() and not target.is_file() and not target.is_dir():  # /dev/null
            return f"{quoted(program)} is {file_kind(target.stat().st_mode)}, not a program"
        if not target.exists():
            return f"cannot find program {quoted(program)}" + (
                "" if Path(program).is_absolute() else f" in {start.resolve()}"
            )
        return not_runnable(program, target) or _script_problem(program, target, path)
    found = shutil.which(program, path=path)
    if found is None:
        return f"cannot find program {quoted(program)} on PATH"
    return _script_problem(program, Path(found), path)


def _script_problem(program: str, file: Path, path: str | None) -> str | None:
    why = first_line_problem(file, path)
    return None if why is None else f"{quoted(program)}: {why}"


def script_problem(command: list[str], start: Path) -> str | None:
    """Why the Python script that ``command`` runs cannot be found from ``start``, where it
    starts (``hypermax quick``'s command, from the current folder), or None."""
    return next(
        (problem for _, problem in _script_problems(command, start, ".", ("command",), True)), None
    )


#: the module of ``hypermax quick``'s metric reader, which runs the command after its ``--``
QUICK_READER = "hypermax.quick.metric_line"
#: ``python``, ``python3``, ``python3.11``: the names a Python interpreter goes by
_PYTHON = re.compile(r"python[0-9.]*")
#: the interpreter's options whose value may be the next argument (``-X dev``, ``-W error``)
_OPTIONS_WITH_A_VALUE = ("-W", "-X", "--check-hash-based-pycs")


def _looked_for(script: str, cwd: str | None) -> bool:
    """Whether a missing ``script`` can be told missing before a trial runs: from a ``cwd``, or
    by its absolute path; without a cwd, a trial starts in its own folder, which starts empty,
    so a script the spec's folder lacks too is nowhere (a typo of its name), unless the path
    climbs out of the trial's folder (``../../../train.py``), to where the spec cannot tell."""
    return cwd is not None or Path(script).is_absolute() or ".." not in Path(script).parts


def _script_problems(
    command: list[str], folder: Path, cwd: str | None, where: JsonPath, look: bool
) -> Iterator[Problem]:
    """A Python script that is not there: named relative to the spec's folder (``folder``), for
    a trial that starts in its own (no ``cwd``), or (``look``: not on a cluster, whose workers
    have files of their own) missing where the trial starts.

    Only a Python interpreter's script is looked at: other programs may find their arguments
    otherwise. ``where`` is the command's first word, or the whole command written as a string.
    """
    offset = 0
    if QUICK_READER in command:  # hypermax quick's metric reader: the command after its "--"
        after = command.index(QUICK_READER)
        if "--" not in command[after:]:
            return
        offset = command.index("--", after) + 1
        command = command[offset:]
        if not command:
            return
    program, *args = command
    if not (_PYTHON.fullmatch(Path(program).name) or program == sys.executable):
        return
    option_value = False
    for index, arg in enumerate(args, start=offset + 1):
        if arg.startswith(("-m", "-c")):
            return  # a module or a command: no script
        if option_value or arg.startswith("-"):
            option_value = arg in _OPTIONS_WITH_A_VALUE
            continue
        if PLACEHOLDER.search(arg):
            return
        at = (*where[:-1], index) if isinstance(where[-1], int) else where
        start = folder / (cwd or ".")
        if cwd is None and not Path(arg).is_absolute() and (folder / arg).is_file():
            yield (
                at,
                f"a trial starts in its own folder, where there is no {quoted(arg)}: "
                'add "cwd": "." to start trials in the spec\'s folder, or name the script by its '
                "absolute path",
            )
        elif look and not (start / arg).exists() and _looked_for(arg, cwd):
            yield (
                at,
                f"cannot find the script {quoted(arg)}"
                + ("" if Path(arg).is_absolute() else f" in {start.resolve()}"),
            )
        return
