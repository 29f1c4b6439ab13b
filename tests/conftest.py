"""Shared helpers: write a spec into a temporary folder and run the real command line on it."""

from __future__ import annotations

import compileall
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_trials import helpers
from fake_trials.helpers import FAKES, new_marker

import hypermax

OBJECTIVES = Path(__file__).parent / "objectives"
#: the size of the ``small_disk`` fixture's filesystem
DISK_MIB = 4


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, mounted for the test and unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the injected-error tests cover the rest")
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small filesystem with")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Byte-compile the hypermax package once, into its usual (git-ignored) ``__pycache__``.

    The suite starts hypermax in hundreds of processes. Where ``PYTHONDONTWRITEBYTECODE`` is set
    nothing caches the compiled package, and each of them would compile its modules again (about
    0.07 s a search, 15 s of the suite). Python checks the files against their sources, so a
    module edited since is compiled again, as always.
    """
    compileall.compile_dir(Path(hypermax.__file__).parent, quiet=1)


def quadratic(name: str = "train", **keys: Any) -> dict[str, Any]:
    """The ``function`` section that runs ``name`` of ``objectives/quadratic.py``."""
    return {
        "type": "python_function",
        "src": str(OBJECTIVES / "quadratic.py"),
        "name": name,
        **keys,
    }


def run_cli(
    *args: str, cwd: Path, timeout: float = 90, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m hypermax ARGS`` in ``cwd``; returns the completed process (text output)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hypermax", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        stdin=subprocess.DEVNULL,
    )


def run_cli_here(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``hypermax ARGS`` as :func:`run_cli` returns it, but run by the command line's own
    ``main`` in this process, from ``cwd``: for a command whose process is not what a test is
    about (``show``, ``export``, ``plot``, ``validate`` without ``--connect``, ``init``, and a
    search whose trials, as always, run in processes of their own). The interpreter's start-up
    and the imports (jsonschema and yaml for a spec, hyperopt and numpy for a search,
    scikit-learn for the importance, matplotlib) are paid once for the whole suite, not by each
    call. Not for a search whose method is a plugin (its module would stay imported here), nor
    for what a process alone shows: signals, exit codes of the real process, a terminal, an
    environment of its own."""
    from hypermax.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's --help and --version
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(["hypermax", *args], code, out.getvalue(), err.getvalue())


#: takes the lock of the results folder it is given, as a hypermax does (and, with a second
#: argument, deletes its lock file, as by hand), says so, and holds it until its stdin closes
_HOLD_FOLDER = (
    "import sys, pathlib\n"
    "from hypermax.results import ResultsFolder\n"
    "folder = ResultsFolder(pathlib.Path(sys.argv[1]))\n"
    "folder.lock()\n"
    "if len(sys.argv) > 2: (folder.path / '.lock').unlink()\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextlib.contextmanager
def holding_folder(folder: Path, delete_lock: bool = False) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the results folder ``folder`` (its lock taken, as a hypermax
    takes it; its ``.lock`` file then deleted with ``delete_lock``) while inside; it lets go
    and ends as the block ends."""
    extra = ["deleted"] if delete_lock else []
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_FOLDER, str(folder), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.communicate()


def printed_by(code: str) -> list[str]:
    """The words a fresh interpreter running ``code`` prints (what it imports, in a process of
    its own, untouched by the modules the suite loaded)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def run_hypermax_here(spec: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``hypermax run SPEC --no-ui EXTRA`` from the spec's folder, by :func:`run_cli_here`: a
    search whose trials run in their processes as always, the command itself in this one."""
    return run_cli_here("run", str(spec), "--no-ui", *extra, cwd=spec.parent)


def journal_records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines() if line]


def finished_records(folder: Path) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in journal_records(folder) if r["event"] == "trial_finished"}


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test in ``tmp_path``, as a user runs hypermax beside the spec: an error names
    ``tmp_path/search.json`` ``search.json`` (from elsewhere, by its absolute path)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write_spec(tmp_path: Path):
    """write_spec(doc, name="search.json") → path; results go to tmp_path/results."""

    def write(doc: dict[str, Any], name: str = "search.json") -> Path:
        doc = json.loads(json.dumps(doc))
        doc.setdefault("results", {"directory": str(tmp_path / "results")})
        path = tmp_path / name
        path.write_text(json.dumps(doc, indent=1))
        return path

    return write


@pytest.fixture
def marker() -> Iterator[str]:
    """A fresh marker for the environment of trial processes, to find them all by it afterwards."""
    with new_marker() as value:
        yield value


#: a space of one number ``x`` in [0, 1]
X_SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}


def fake_function_spec(
    folder: Path, src: str, name: str, search: dict[str, Any], **function: Any
) -> Path:
    """Write ``search.json`` into ``folder``: the ``python_function`` ``name`` of the fake trial
    module ``src`` (in tests/fake_trials/) over :data:`X_SPACE`, with ``function`` settings
    added; results go to ``folder/results``."""
    return helpers.write_spec(
        folder,
        {
            "hyperparameters": X_SPACE,
            "function": {
                "type": "python_function",
                "src": str(FAKES / src),
                "name": name,
                **function,
            },
            "search": search,
        },
    )


def model_spec(
    folder: Path, source: str, search: dict[str, Any], **sections: dict[str, Any]
) -> Path:
    """Write ``model.py`` (``source``, defining ``train``) and ``search.json`` searching it over
    :data:`X_SPACE` into ``folder``; results go to ``folder/results``. ``sections`` add to the
    ``function`` and ``results`` sections or add others."""
    (folder / "model.py").write_text(source)
    doc: dict[str, Any] = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": search,
        "results": {"directory": str(folder / "results")},
    }
    for name, section in sections.items():
        doc[name] = {**doc.get(name, {}), **section}
    path = folder / "search.json"
    path.write_text(json.dumps(doc))
    return path
