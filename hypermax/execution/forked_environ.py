"""A trial forked from the preload server (:mod:`.forkserver`): its environment.

The server starts with a trial's environment less what is each trial's own
(:func:`server_environment`), with room reserved for the variables that name a trial in
``/proc/<pid>/environ`` (:data:`STAMPED`). A request carries only what a trial's environment
changes from the server's (:func:`environment_change`, made by hypermax); the trial makes those
changes (:func:`change_environ`), less those the objective's import overrides
(:class:`ImportedEnviron`), and writes its token and folder into the reserved room
(:func:`stamp_environ`), which ``os.environ`` cannot change.

Imported by every forked trial's server: standard library only, and nothing a trial would not
load anyway.
"""

from __future__ import annotations

import os

from hypermax import system_text
from hypermax.execution import protocol

TYPE_CHECKING = False  # typing itself is not imported: the server's trials need not have it

if TYPE_CHECKING:
    from collections.abc import Iterable

#: variables of the server's environment that each forked trial overwrites in place, so that
#: ``/proc/<pid>/environ`` names the trial: the value reserved for each (their lengths)
STAMPED = {protocol.TOKEN_ENV: 64, protocol.TRIAL_DIR_ENV: 4096}
PLACEHOLDER = "-"


class ImportedEnviron:
    """What the objective's import did to ``os.environ`` (``os.environ["OMP_NUM_THREADS"] =
    "1"`` at the top of a module, to set up a library it imports later): each trial's
    environment is the one hypermax gives it, so the server does it again in each, as the
    import does in a fresh trial."""

    def __init__(self, set_: dict[str, str], removed: frozenset[str]) -> None:
        self.set = set_
        self.removed = removed

    @classmethod
    def since(cls, before: dict[str, str]) -> ImportedEnviron:
        """The changes made to ``os.environ`` since it was ``before``."""
        now = os.environ
        changed = {key: value for key, value in now.items() if before.get(key) != value}
        return cls(changed, frozenset(before.keys() - now.keys()))

    def keep(self, changed: dict[str, str], unset: list[str]) -> tuple[dict[str, str], list[str]]:
        """A trial's changes to the server's environment (``changed``, ``unset``) less those to
        the variables that the import set or removed: the import's word stands."""
        changed = {k: v for k, v in changed.items() if k not in self.set and k not in self.removed}
        return changed, [key for key in unset if key not in self.set]


def server_environment(env: dict[str, str]) -> dict[str, str]:
    """The server's environment, from a trial's: without what is the trial's own, with room for
    what :func:`stamp_environ` writes into each forked trial's."""
    own = (
        protocol.PARAMS_FILE_ENV,
        protocol.PARAMS_PACKED_ENV,
        protocol.RESULT_FILE_ENV,
        protocol.TRIAL_ID_ENV,
        protocol.LIFELINE_FD_ENV,
        protocol.PARENT_PID_ENV,
        *STAMPED,
    )
    kept = {
        k: v
        for k, v in env.items()
        if k not in own and not k.startswith(system_text.PARAM_ENV_PREFIX)
    }
    return {**kept, **{name: PLACEHOLDER * size for name, size in STAMPED.items()}}


def environ_slots() -> dict[str, int]:
    """Where, in this process's memory, the reserved value of each :data:`STAMPED` variable of
    its original environment block starts (what ``/proc/<pid>/environ`` shows, and what
    ``os.environ`` cannot change). Read once in the server: a forked child has the same layout.
    Empty where it cannot be known (not Linux)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        env_start = int(stat[stat.rfind(b")") + 2 :].split()[47])
        with open("/proc/self/environ", "rb") as f:
            block = f.read()
    except (OSError, ValueError, IndexError):
        return {}
    slots = {name: _value_at(block, name) for name in STAMPED}
    return {name: env_start + at for name, at in slots.items() if at is not None}


def stamp_environ(slots: dict[str, int], values: dict[str, str]) -> None:
    """Write ``values`` into the reserved slots (:func:`environ_slots`) of this process's
    original environment block, which hold the server's placeholders. A value longer than its
    room is left out."""
    try:
        mem = os.open("/proc/self/mem", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return  # not allowed here: the trial runs, found by its session alone
    try:
        for name, address in slots.items():
            data = os.fsencode(values.get(name, ""))
            if len(data) < STAMPED[name]:
                # the rest of the room keeps the placeholder's dashes: a word without "=",
                # which readers skip
                os.pwrite(mem, data + b"\0", address)
    except OSError:
        return
    finally:
        os.close(mem)


def _value_at(block: bytes, name: str) -> int | None:
    """Where the value of variable ``name`` starts in an environment block; None if absent."""
    needle = f"{name}=".encode()
    if block.startswith(needle):
        return len(needle)
    at = block.find(b"\0" + needle)
    return None if at < 0 else at + 1 + len(needle)


def change_environ(
    changed: dict[str, str], unset: Iterable[str], inherited: dict[str, str]
) -> None:
    """Make ``os.environ`` (and the C environment) ``inherited`` with the variables ``changed``
    set and those ``unset`` removed, changing only what differs from ``inherited``, what
    ``os.environ`` holds now (a copy: reading ``os.environ`` itself decodes each variable again,
    objects made and pages copied in a forked trial)."""
    current = os.environ
    for key in unset:
        if key in inherited:
            del current[key]
    for key, value in changed.items():
        if inherited.get(key) != value:
            current[key] = value


def environment_change(
    server_env: dict[str, str], env: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """How a trial's environment ``env`` differs from ``server_env``, the one its server was
    started with (:func:`server_environment`): the variables it sets or changes, and those it
    does not have."""
    changed = {key: value for key, value in env.items() if server_env.get(key) != value}
    return changed, [key for key in server_env if key not in env]
