"""What a trial's process runs: its command, its environment and its folder.

How it is started, and tied to hypermax, is the launcher's business (:mod:`.launch`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax import system_text
from hypermax.execution import protocol, reports
from hypermax.scripts import path_list_from
from hypermax.space import flatten
from hypermax.specfile.placeholders import NAMED, PLACEHOLDER

if TYPE_CHECKING:
    from hypermax.execution.trial_files import TrialFiles
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal


Resolve = Callable[[Path], Path]


def trial_command(
    function: FunctionSpec,
    spec_folder: Path,
    proposal: Proposal,
    files: TrialFiles,
    token: str,
    verdict_wait: float | None,
    resolve: Resolve = Path.resolve,
) -> tuple[list[str], dict[str, str], str]:
    """The argv, environment and starting folder of a trial whose ``files`` are made."""
    env = trial_environment(
        function,
        spec_folder,
        proposal,
        files.trial_dir,
        files.params_file,
        files.result_file,
        token,
    )
    if function.type == "python_function":  # its bootstrap reads them without json
        packed = protocol.pack_params(files.params_json)
        if packed is not None:
            env[protocol.PARAMS_PACKED_ENV] = packed
        env[protocol.EXIT_WAIT_ENV] = f"{function.kill_grace:g}"
        if verdict_wait:
            env[reports.VERDICT_WAIT_ENV] = f"{verdict_wait:g}"
    argv = trial_argv(function, spec_folder, proposal, resolve)
    cwd = trial_cwd(function, spec_folder, files.trial_dir, resolve)
    if "PWD" not in function.env:  # as a shell sets it for a program it starts: where it is
        env["PWD"] = cwd
    return argv, env, cwd


def trial_argv(
    function: FunctionSpec, spec_folder: Path, proposal: Proposal, resolve: Resolve = Path.resolve
) -> list[str]:
    """The trial's command line: the child bootstrap, or the spec's command with its params.

    ``resolve`` makes a path absolute and free of symlinks (a cache of ``Path.resolve``, for
    the trials of one search)."""
    if function.type == "python_function":
        argv = [sys.executable, *protocol.CHILD_ARGS, "--name", str(function.name)]
        if function.src:
            argv += ["--src", str(resolve(spec_folder / function.src))]
        else:
            argv += ["--module", str(function.module)]
        return [*argv, "--path", str(spec_folder)]
    flat = flatten(proposal.params)
    values = {name: _text(value) for name, value in flat.items()}
    values.update(
        {k: json.dumps(v) for k, v in proposal.params.items() if isinstance(v, dict | list)}
    )
    values["trial_id"] = str(proposal.trial_id)
    program, *args = function.command
    # an argument for a param this trial does not have (a branch it did not take, an item past
    # its list's length) is left out, with the option it is the value of: the program's own
    # default applies (--gamma={k.gamma}, or --gamma {k.gamma})
    args = [_fill(part, values) for part in _present(args, values)]
    program = _fill(program, values)
    if "/" in program and not function.cwd:
        # the trial starts in its own folder; a relative program is named from the spec's. Its
        # symlinks stay: a program may tell by its name what to be (a virtual environment's
        # bin/python finds the environment from it)
        program = str((spec_folder / program).absolute())
    return [program, *args]


def trial_environment(
    function: FunctionSpec,
    spec_folder: Path,
    proposal: Proposal,
    trial_dir: Path,
    params_file: Path,
    result_file: Path,
    token: str,
) -> dict[str, str]:
    """The trial's environment: hypermax's, the spec's ``env``, the protocol's files, the params."""
    env = current_environ()
    for name in [n for n in env if n in _PER_TRIAL or n.startswith(system_text.PARAM_ENV_PREFIX)]:
        del env[name]  # hypermax runs in a trial of another search: what it set is its own
    for name in ("PYTHONPATH", "PATH"):
        if name in env and name not in function.env:
            env[name] = _from_here(env[name], empty_is_here=name == "PATH")
    env.update(function.env)
    if "PATH" in function.env:  # its relative folders are named from where the trial may start
        start = str((spec_folder / (function.cwd or ".")).absolute())
        env["PATH"] = path_list_from(function.env["PATH"], start, empty_is_here=True)
    python = function.type == "python_function"  # hypermax's own interpreter runs it
    env["PYTHONPATH"] = python_path(env, str(spec_folder), own_interpreter=python)
    env[protocol.PARAMS_FILE_ENV] = str(params_file)
    env[protocol.RESULT_FILE_ENV] = str(result_file)
    env[protocol.TRIAL_DIR_ENV] = str(trial_dir)
    env[protocol.TRIAL_ID_ENV] = str(proposal.trial_id)
    env[protocol.TOKEN_ENV] = token
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in flatten(proposal.params).items():
        text = _text(value)
        variable = system_text.param_variable(name)
        # no environment variable can hold a NUL, nor be longer than the kernel takes: the
        # params file does
        size = len(variable) + system_text.os_size(text) + 2  # "NAME=value" and its NUL
        if "\0" not in text and size <= system_text.MAX_ARG_BYTES:
            env[variable] = text
    return env


#: what hypermax sets for some trials only: a hypermax that runs in a trial of another search
#: must not pass that trial's on to its own (its params, or the wait for verdicts of its
#: early stopping, which this search may not have)
_PER_TRIAL = frozenset({protocol.PARAMS_PACKED_ENV, reports.VERDICT_WAIT_ENV})


def _from_here(path_list: str, empty_is_here: bool = False) -> str:
    """A ``PYTHONPATH`` or ``PATH`` of hypermax's environment with its relative folders made
    absolute from hypermax's current folder, where they were meant (``PYTHONPATH=src hypermax
    ...``, ``PATH=bin:$PATH hypermax ...``, as ``validate`` found the program): a trial starts
    in another (its own, or ``cwd``). An empty entry of a ``PATH`` (``empty_is_here``) is the
    current folder too."""
    try:
        here = os.getcwd()
    except OSError:  # removed: they name nothing from anywhere
        return path_list
    return path_list_from(path_list, here, empty_is_here)


def current_environ() -> dict[str, str]:
    """A copy of ``os.environ`` as it is now.

    Decoding the environment is what ``dict(os.environ)`` spends its time on, once per trial;
    the decoded copy is kept for as long as the environment stays the same.
    """
    global _environ_seen
    data = getattr(os.environ, "_data", None)
    if not isinstance(data, dict):
        return dict(os.environ)
    seen = _environ_seen
    if seen is None or seen[0] != data:
        seen = _environ_seen = (dict(data), dict(os.environ))
    return dict(seen[1])


_environ_seen: tuple[dict[Any, Any], dict[str, str]] | None = None


def trial_cwd(
    function: FunctionSpec, spec_folder: Path, trial_dir: Path, resolve: Resolve = Path.resolve
) -> str:
    """Where the trial runs: the spec's ``cwd``, else the trial's own folder."""
    if function.cwd:
        return str(resolve(spec_folder / function.cwd))
    return str(trial_dir)


def preload_cwd(function: FunctionSpec, spec_folder: Path) -> str:
    """Where a preloaded server imports the objective: the spec's ``cwd``, else its folder."""
    return str((spec_folder / (function.cwd or ".")).resolve())


#: the folder hypermax itself is imported from, for the ``PYTHONPATH`` of the processes it starts
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def python_path(
    env: Mapping[str, str], *first: str, own_interpreter: bool = True, root: str = PACKAGE_ROOT
) -> str:
    """``PYTHONPATH`` for a process hypermax starts: ``first``, hypermax itself (``root``, the
    folder it is imported from), then ``env``'s.

    A regular install imports hypermax from a site folder, which holds every package installed
    beside it: there it comes after ``env``'s entries, as Python puts a site folder after
    ``PYTHONPATH`` (its packages must not hide the user's), and only for a process of hypermax's
    own interpreter (``own_interpreter``), which needs it before it ran ``site`` (a trial started
    with ``-S``): another Python (another version, another virtual environment) must not import
    them at all."""
    user = env.get("PYTHONPATH", "")
    if not _site_folder(root):
        entries: tuple[str, ...] = (*first, root, user)
    else:
        entries = (*first, user, root) if own_interpreter else (*first, user)
    return os.pathsep.join(p for p in entries if p)


@functools.cache
def _site_folder(folder: str) -> bool:
    """Whether ``folder`` is a site folder of this interpreter (its ``site-packages``, the
    user's own when that is enabled)."""
    import site

    found = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        found.append(site.getusersitepackages())
    return os.path.realpath(folder) in {os.path.realpath(f) for f in found}


#: what a helper process of hypermax runs (``-c``): hypermax's own package loaded from its folder
#: (a ``hypermax.py`` or ``hypermax/`` in the current folder or on ``PYTHONPATH`` is not it)
_HELPER = (
    "import sys, importlib.util as u; s = u.spec_from_file_location('hypermax', {init!r}, "
    "submodule_search_locations=[{package!r}]); m = sys.modules['hypermax'] = "
    "u.module_from_spec(s); s.loader.exec_module(m); from {module} import {function}; "
    "del sys.argv[1]; sys.exit({function}())"
)


def helper_argv(module: str, function: str) -> list[str]:
    """The command of a helper process that runs ``function`` of hypermax's ``module`` (the
    guardian, the preload server) and exits with what it returns: with ``-P``, so that its
    current folder is not searched first, and hypermax's own package whatever the folders on
    ``sys.path`` hold (an objective named ``hypermax.py`` beside the spec, which comes first).
    The module's name follows the code, as ``ps`` shows it; the function does not see it."""
    package = os.path.join(PACKAGE_ROOT, "hypermax")
    code = _HELPER.format(
        init=os.path.join(package, "__init__.py"), package=package, module=module, function=function
    )
    return [sys.executable, "-P", "-c", code, module]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _names_absent(part: str, values: dict[str, str]) -> bool:
    """Whether ``part`` holds a placeholder of a param the trial does not have (validation
    made sure that each names a param of the space)."""
    return "{" in part and any(name not in values for name in PLACEHOLDER.findall(part))


def _present(args: list[str], values: dict[str, str]) -> list[str]:
    """``args`` without the arguments that name a param the trial does not have, and without an
    option just before such an argument whose value it is (``--gamma``, ``-g``: a word that
    starts with ``-``, holds no ``=`` nor placeholder, and is not a negative number). An
    argument that is an option itself (``--gamma={k.gamma}``, ``-g{k.gamma}``) is no option's
    value: a flag before it (``--fast``) stays."""
    kept: list[str] = []
    for part in args:
        if not _names_absent(part, values):
            kept.append(part)
        elif kept and _bare_option(kept[-1]) and not _an_option(part):
            kept.pop()
    return kept


def _an_option(part: str) -> bool:
    """Whether ``part`` is an option, with its value or without (``--gamma={k.gamma}``,
    ``-g{k.gamma}``), not a value (``{k.gamma}``, ``-{shift}``, ``-1``)."""
    if not part.startswith("-") or part in ("-", "--"):
        return False
    return part[1:2] not in ("{", ".") and not part[1:2].isdigit()


def _bare_option(part: str) -> bool:
    """Whether ``part`` is an option that takes its value as the next argument."""
    if not part.startswith("-") or part in ("-", "--") or "=" in part or "{" in part:
        return False
    return not part[1:2].isdigit() and part[1:2] != "."


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders, in one pass (a value that holds braces stays as it
    is), also of a param whose name holds other characters than a placeholder's
    (``{learning-rate}``); unknown ``{...}`` and ``${name}`` (a shell's variable) are left as
    they are."""
    if "{" not in part:
        return part
    return NAMED.sub(lambda found: values.get(found.group(1), found.group(0)), part)
