"""How a fresh ``python_function`` trial's interpreter starts: prepared once, cheap per trial.

Two things a plain ``python -c`` start pays in every trial, and that hypermax can do once for the
trials of a search instead:

- **site** (``-S``). The ``site`` module builds the end of ``sys.path`` and runs the code lines
  of the ``.pth`` files in the site folders; an editable install's finder alone costs every
  interpreter about 10 ms. Once per environment, a probe (an interpreter started exactly as the
  trial is, running ``site`` itself) records what ``site`` gave it. When everything ``site`` did
  there can be replayed (its ``sys.path``, ``sys.prefix`` of a virtual environment, the
  ``exit``/``help`` built-ins, the code lines of setuptools' ``distutils-precedence.pth``), and
  the only other code it ran is hypermax's own editable finder (whose package the trial imports
  from ``PYTHONPATH`` anyway), trials start with ``-S`` and the bootstrap replays it
  (:func:`hypermax.execution.child.start_site`). Anything else — a ``.pth`` line that runs other
  code (another editable finder, coverage's process start-up), ``sitecustomize`` or
  ``usercustomize``, a probe that failed — and trials start with ``site``, as ``python`` does.
  So does every trial when ``HYPERMAX_TRIAL_SITE=1`` is in hypermax's environment or the spec's
  ``env``. The probe is run again when a site folder or a ``.pth`` file changes.
- **byte code**. With ``PYTHONDONTWRITEBYTECODE`` (or a read-only install) nothing caches the
  compiled bootstrap, and each trial compiles it again. hypermax compiles the bootstrap's
  modules once per process into a temporary folder (:mod:`.compiled`): into one bundle, whose
  loader (compiled into it: the trial's ``-c`` code is a stub, which Python compiles in every
  trial) runs them without looking for any on
  ``sys.path`` (each module made as an import makes it, its ``__future__`` imports compiled in
  as flags: no trial imports ``__future__``), and as ``.pyc`` files, imported instead when a
  source changed since the bundle was made or the trial runs another Python version
  (``sys.pycache_prefix``, set only while those modules are imported). The objective's file
  (``src``) is compiled there as well, again when its size or time stamp changes, and the trial
  reads it from there (``HYPERMAX_CODE_CACHE``): the first ``compile()`` of a process costs it
  about 1 ms (it makes the ``ast`` module's types), whatever it compiles. Compiled files are
  checked against their sources, as Python always does. The folder is removed when the process
  exits; one left by a process that was killed is removed by the next that makes one
  (:func:`remove_leftovers`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from hypermax.execution import protocol, spawn
from hypermax.execution.child import CODE_CACHE_ENV
from hypermax.execution.compiled import bootstrap_code, cached_path, compile_bootstrap, compile_file
from hypermax.execution.process_start import run_briefly

#: ``.pth`` files whose code lines a trial started without site runs itself, as site would
REPLAYED_PTH = frozenset({"distutils-precedence.pth"})
#: the longest the probe may take
PROBE_TIMEOUT = 30.0
#: the compiled bootstrap's folder in the temporary folder: this, the pid of its process, ``-``
BOOTSTRAP_PREFIX = "hypermax-bootstrap-"
_FINDER_LINE = re.compile(r"import (__editable___\w+_finder); \1\.install\(\)\s*$")

#: run as ``python -S -c PROBE``: what ``site`` does to this interpreter, as JSON on stdout
PROBE = r"""
import json, os, sys
skip = 0 if sys.flags.safe_path else 1
before = sys.path[skip:]
del sys.path[:skip]
import site
site.main()
dirs = site.getsitepackages()
if site.ENABLE_USER_SITE:
    dirs.append(site.getusersitepackages())
pth = []
for folder in dict.fromkeys(dirs):
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".pth") and n[0] != ".")
    except OSError:
        continue
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="locale") as f:
                lines = [l for l in f if l.startswith(("import ", "import\t"))]
        except OSError:
            continue
        pth.append([folder, name, lines])
finders = {
    n: [getattr(m, "MAPPING", None), getattr(m, "NAMESPACES", None)]
    for n, m in sys.modules.items() if n.startswith("__editable__")
}
json.dump({
    "before": before, "path": sys.path, "prefix": sys.prefix, "exec_prefix": sys.exec_prefix,
    "home": getattr(sys, "_home", None), "prefixes": site.PREFIXES,
    "enable_user_site": site.ENABLE_USER_SITE, "user_base": site.USER_BASE,
    "user_site": site.USER_SITE, "dirs": dirs, "pth": pth, "finders": finders,
    "customize": [m for m in ("sitecustomize", "usercustomize") if m in sys.modules],
}, sys.stdout)
"""


@dataclass(frozen=True)
class _Site:
    """What the probe found for one environment: the packed state, or None (start with site)."""

    packed: str | None
    watched: tuple[tuple[str, int], ...]  # the site folders and .pth files, with their mtimes

    def fresh(self) -> bool:
        """Whether no site folder or ``.pth`` file changed since the probe."""
        return all(_mtime(path) == mtime for path, mtime in self.watched)


class FreshStart:
    """Turns the command of a fresh ``python_function`` trial into the cheapest equivalent one.

    :meth:`command` is called for each trial. What it prepares is shared by every search of this
    process: the probes (one per interpreter and environment, made again when a site folder or
    a ``.pth`` file changed) and the compiled bootstrap (one folder, removed when the process
    that made it exits).
    """

    _lock = threading.Lock()
    _sites: dict[tuple[str, frozenset[tuple[str, str]]], _Site] = {}
    _code: str | None = None
    _folder: str | None = None  # the compiled bootstrap's folder
    #: objective files compiled there: their stamps then, and whether they compiled
    _compiled: dict[str, tuple[tuple[int, int], bool]] = {}

    def command(
        self, argv: tuple[str, ...], env: dict[str, str], cwd: str
    ) -> tuple[list[str], dict[str, str]]:
        """The argv and environment to start the trial with (``argv``: the child bootstrap's)."""
        executable, options = argv[0], argv[3:]
        with self._lock:
            code = self._bootstrap_code()
            site = (
                None if env.get(protocol.TRIAL_SITE_ENV) == "1" else self._site(argv[0], env, cwd)
            )
            cache = self._objective_cache(options)
        if cache is not None:
            env = {**env, CODE_CACHE_ENV: cache}
        if site is None or site.packed is None:
            return [executable, "-c", code, *options], env
        return [executable, "-S", "-c", code, *options], {
            **env,
            protocol.SITE_STATE_ENV: site.packed,
        }

    # -- the objective's byte code --------------------------------------------------------------
    @classmethod
    def _objective_cache(cls, options: tuple[str, ...]) -> str | None:
        """The folder where the objective's file (``--src``) is compiled for the trial, or None.

        Compiled again when its size or time stamp changed: one ``stat`` per trial here."""
        src = dict(zip(options[::2], options[1::2], strict=False)).get("--src")
        if src is None or cls._folder is None:
            return None
        stamp = _stamp(src)
        if stamp is None:
            return None
        known = cls._compiled.get(src)
        if known is None or known[0] != stamp:  # a file that does not compile: tried once
            known = cls._compiled[src] = (stamp, compile_file(src, cached_path(cls._folder, src)))
        return cls._folder if known[1] else None

    # -- byte code ------------------------------------------------------------------------------
    @classmethod
    def _bootstrap_code(cls) -> str:
        """The ``-c`` code: the bootstrap's modules read from the folder compiled for them."""
        if cls._code is None:
            cls._code = protocol.CHILD_ARGS[1]
            try:
                remove_leftovers()
                folder = tempfile.mkdtemp(prefix=f"{BOOTSTRAP_PREFIX}{os.getpid()}-")
            except OSError:  # no temporary folder can be written: trials compile it themselves
                return cls._code
            atexit.register(_remove, folder, os.getpid())
            if compile_bootstrap(folder):
                cls._code = bootstrap_code(folder)
                cls._folder = folder
        return cls._code

    # -- site -----------------------------------------------------------------------------------
    @classmethod
    def _site(cls, executable: str, env: dict[str, str], cwd: str) -> _Site:
        key = (executable, frozenset(_site_environment(env).items()))
        site = cls._sites.get(key)
        if site is None or not site.fresh():
            site = cls._sites[key] = probe_site(executable, env, cwd)
        return site


def remove_leftovers(temp: str | None = None) -> list[str]:
    """Remove the compiled-bootstrap folders (in ``temp``, by default the temporary folder) that
    this user's processes made and that outlived them (a hypermax killed by SIGKILL runs no exit
    handler); the folders removed. A folder whose process still runs is left alone."""
    temp = temp or tempfile.gettempdir()
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(temp):
            owner = entry.name[len(BOOTSTRAP_PREFIX) :].split("-", 1)[0]
            if not entry.name.startswith(BOOTSTRAP_PREFIX) or not owner.isdigit():
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid() or _alive(int(owner)):
                    continue
                shutil.rmtree(entry.path)
                removed.append(entry.path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(folder: str, owner: int) -> None:
    """At exit: remove ``folder``, in the process that made it only (not in a forked child)."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _site_environment(env: dict[str, str]) -> dict[str, str]:
    """The environment without what differs from trial to trial (hypermax's own variables, and
    ``PWD``, the trial's folder)."""
    return {k: v for k, v in env.items() if not k.startswith("HYPERMAX_") and k != "PWD"}


def probe_site(executable: str, env: dict[str, str], cwd: str) -> _Site:
    """Start ``executable`` as a trial would start, have it run ``site``, and judge the result."""
    try:
        done = run_briefly(
            [executable, "-S", "-c", PROBE], PROBE_TIMEOUT, env=_site_environment(env), cwd=cwd
        )
        if done.exit_code != 0:
            return _Site(None, ())
        found = json.loads(done.output)
    except (OSError, subprocess.SubprocessError, ValueError):
        return _Site(None, ())
    watched = [*found["dirs"], *(os.path.join(d, name) for d, name, _ in found["pth"])]
    stamps = tuple((path, _mtime(path)) for path in watched)
    return _Site(site_state(found), stamps)


def site_state(found: dict[str, Any]) -> str | None:
    """What a trial started with ``-S`` replays of ``site`` (packed for its environment), or
    None when ``site`` ran code the trial could not replay."""
    if found["customize"]:
        return None
    replay: list[tuple[str, str, str]] = []
    for folder, name, lines in found["pth"]:
        for line in lines:
            if name in REPLAYED_PTH:
                replay.append((folder, name, line))
            elif not _own_finder(line, found["finders"]):
                return None
    state = {
        "before": found["before"],
        "path": found["path"],
        "prefix": found["prefix"],
        "exec_prefix": found["exec_prefix"],
        "home": found["home"],
        "prefixes": found["prefixes"],
        "enable_user_site": found["enable_user_site"],
        "user_base": found["user_base"],
        "user_site": found["user_site"],
        "replay": replay,
    }
    return protocol.pack(state)


def _own_finder(line: str, finders: dict[str, Any]) -> bool:
    """Whether ``line`` installs hypermax's own editable finder, which maps nothing but the
    package the trial imports from ``PYTHONPATH``: skipping it changes no import."""
    match = _FINDER_LINE.match(line)
    if match is None or match.group(1) not in finders:
        return False
    mapping, namespaces = finders[match.group(1)]
    own = os.path.realpath(os.path.join(spawn.PACKAGE_ROOT, "hypermax"))
    if not isinstance(mapping, dict) or namespaces or set(mapping) != {"hypermax"}:
        return False
    return os.path.realpath(str(mapping["hypermax"])) == own


def _mtime(path: str) -> int:
    with contextlib.suppress(OSError):
        return os.stat(path).st_mtime_ns
    return -1
