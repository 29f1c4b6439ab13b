"""How a trial's process is started: its command, environment and folder, and its tie to hypermax.

The tie is set up in the forked child before it execs: the trial gets SIGKILL when hypermax dies
(Linux parent-death signal, checked against a parent that died before it was armed), and a
lifeline pipe that only hypermax holds open sends SIGKILL to the trial's whole process group when
it closes (armed in the kernel with ``F_SETOWN``/``F_SETSIG``/``O_ASYNC``).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.execution import protocol
from hypermax.space import flatten

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal


def trial_argv(function: FunctionSpec, spec_folder: Path, proposal: Proposal) -> list[str]:
    """The trial's command line: the child bootstrap, or the spec's command with its params."""
    if function.type == "python_function":
        argv = [sys.executable, "-m", "hypermax.execution.child", "--name", str(function.name)]
        if function.src:
            argv += ["--src", str((spec_folder / function.src).resolve())]
        else:
            argv += ["--module", str(function.module)]
        return [*argv, "--path", str(spec_folder)]
    flat = flatten(proposal.params)
    values = {name: _text(value) for name, value in flat.items()}
    values.update(
        {k: json.dumps(v) for k, v in proposal.params.items() if isinstance(v, dict | list)}
    )
    values["trial_id"] = str(proposal.trial_id)
    program, *args = (_fill(part, values) for part in function.command)
    if "/" in program and not function.cwd:
        # the trial starts in its own folder; a relative program is named from the spec's
        program = str((spec_folder / program).resolve())
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
    env = dict(os.environ)
    env.update(function.env)
    env["PYTHONPATH"] = python_path(env, str(spec_folder))
    env[protocol.PARAMS_FILE_ENV] = str(params_file)
    env[protocol.RESULT_FILE_ENV] = str(result_file)
    env[protocol.TRIAL_DIR_ENV] = str(trial_dir)
    env[protocol.TRIAL_ID_ENV] = str(proposal.trial_id)
    env[protocol.TOKEN_ENV] = token
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in flatten(proposal.params).items():
        key = protocol.PARAM_ENV_PREFIX + _env_name(name)
        env[key] = _text(value)
    return env


def trial_cwd(function: FunctionSpec, spec_folder: Path, trial_dir: Path) -> str:
    """Where the trial runs: the spec's ``cwd``, else the trial's own folder."""
    if function.cwd:
        return str((spec_folder / function.cwd).resolve())
    return str(trial_dir)


def python_path(env: Mapping[str, str], *first: str) -> str:
    """``PYTHONPATH`` for a process hypermax starts: ``first``, hypermax itself, then ``env``'s."""
    package_root = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join(p for p in (*first, package_root, env.get("PYTHONPATH", "")) if p)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _env_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).upper()


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders; unknown ``{...}`` is left as it is."""
    if "{" not in part:
        return part
    out = part
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return out


# -- inside the child, between fork and exec ------------------------------------------------
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once here: the child must not import or load anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_F_SETSIG: int | None = getattr(fcntl, "F_SETSIG", None)


def child_setup(parent_pid: int, lifeline: int) -> Callable[[], None]:
    """The ``preexec_fn`` of a trial: tie its life to hypermax's before it execs.

    Runs in the forked child, so it only calls what was looked up in the parent. Linux sends the
    parent-death signal when the *thread* that forked exits, so trials must be submitted from a
    thread that lives as long as the search (the driver's); the lifeline pipe has no such limit.
    """

    def setup() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if _F_SETSIG is not None:
            _arm_lifeline(lifeline, _F_SETSIG)
        if os.getppid() != parent_pid:  # hypermax died before any of that was armed
            os._exit(1)

    return setup


def _arm_lifeline(fd: int, setsig: int) -> None:
    """Have the kernel SIGKILL this process group when the pipe's last writer closes it."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpid())  # negative: the whole process group
        fcntl.fcntl(fd, setsig, signal.SIGKILL)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    except OSError:
        # not fatal: the parent-death signal still holds, and the child bootstrap watches the
        # pipe from a thread when it finds it not armed
        return
