"""What travels between hypermax and a Dask worker besides params: a trial's code and its files.

- **Code.** A ``python_function``'s code travels with each task as a small zip
  (:class:`CodeBundle`): the Python files importable from the spec's folder (its top-level
  ``*.py`` files and its packages, and the folder without ``__init__.py`` a ``module`` lies in:
  a namespace package), the ``src`` file and those importable from its folder (first
  on its ``sys.path``, as when Python runs it). A worker that sees the very same files at
  the same paths (a shared filesystem, or this machine) runs them in place; any other unpacks the
  bundle once into its local folder and runs the trial from there. Installed packages and data
  files do not travel: they must be on the workers.
- **Trial files.** A worker that reads the runner's probe token in ``<results>/trials/`` shares the
  results folder and writes the trial's folder and log in place. Any other runs the trial in a
  scratch folder of its own and sends the folder's files and the log back with the outcome
  (:class:`TrialFiles`), up to :data:`SEND_BACK_CAP_BYTES`; what does not fit stays on the worker,
  and the log says where.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from hypermax.execution import trial_log
from hypermax.execution.trial_setup import UNWRITABLE_ERRNOS, FolderUnwritable, folder_unwritable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hypermax.spec import FunctionSpec

#: at most this much code travels with each task (uncompressed)
CODE_CAP_BYTES = 16 * 1024 * 1024
#: at most this much of a trial's folder comes back from a worker that does not share it
SEND_BACK_CAP_BYTES = 256 * 1024 * 1024
PROBE_NAME = ".hypermax-cluster-probe"
_FOLDER = "folder"  # the spec folder's files, in a bundle
_SRC = "src"  # a src file from outside the spec's folder, in a bundle

log = logging.getLogger("hypermax")


class CodeTooLarge(ValueError):
    """The spec's folder holds more Python code than a task carries."""


# -- code -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeBundle:
    """A ``python_function``'s code as it travels with each task.

    Attributes:
        digest: names the bundle's content (a worker unpacks each digest once).
        archive: a zip of ``folder/<path>`` (the spec folder's files) and ``src/<path>`` (a
            ``src`` file from outside the spec's folder, and what ``import`` finds beside it).
        folder: the spec's folder on hypermax's machine.
        src: the ``src`` file's absolute path there, if the function has one.
    """

    digest: str
    archive: bytes
    folder: str
    src: str | None

    def sources(self) -> dict[str, Path]:
        """Each archive member and the file it came from on hypermax's machine."""
        members = {}
        with zipfile.ZipFile(io.BytesIO(self.archive)) as archive:
            for name in archive.namelist():
                kind, _, rest = name.partition("/")
                members[name] = Path(
                    Path(self.src or "").parent if kind == _SRC else self.folder, rest
                )
        return members


def code_bundle(function: FunctionSpec, spec_folder: Path) -> CodeBundle | None:
    """The code a ``python_function`` trial needs from the spec's folder, or None.

    Raises:
        CodeTooLarge: over :data:`CODE_CAP_BYTES` of it.
    """
    if function.type != "python_function":
        return None
    folder = spec_folder.resolve()
    members = {f"{_FOLDER}/{rel}": path for rel, path in importable_files(folder)}
    top = (function.module or "").partition(".")[0]
    if top and (folder / top).is_dir():  # a folder without __init__.py: a namespace package
        members.update((f"{_FOLDER}/{rel}", path) for rel, path in _package(folder, folder / top))
    src = (folder / function.src).resolve() if function.src else None
    if src is not None:  # and what it imports from its folder, first on its sys.path
        inside = src.is_relative_to(folder)
        prefix = f"{_FOLDER}/{src.parent.relative_to(folder).as_posix()}" if inside else _SRC
        for rel, path in [(src.name, src), *importable_files(src.parent)]:
            members.setdefault(f"{prefix}/{rel}".replace("/./", "/"), path)
    size = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            data = members[name].read_bytes()
            size += len(data)
            if size > CODE_CAP_BYTES:
                raise CodeTooLarge(
                    f"the spec's folder holds more than {CODE_CAP_BYTES // 2**20} MiB of Python "
                    f"files to send to the Dask workers ({folder})"
                )
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    archive_bytes = buffer.getvalue()
    return CodeBundle(
        digest=hashlib.sha256(archive_bytes).hexdigest()[:20],
        archive=archive_bytes,
        folder=str(folder),
        src=None if src is None else str(src),
    )


def importable_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to ``folder``, path) of what ``import`` finds there: top-level ``*.py``
    files and every ``*.py`` file inside its packages (folders with an ``__init__.py``)."""
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__pycache__")):
            continue
        if entry.is_file() and entry.suffix == ".py":
            yield entry.name, entry
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            yield from _package(folder, entry)


def _package(folder: Path, package: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to ``folder``, path) of every ``*.py`` file inside ``package``: regular
    files only (a named pipe would block the read for ever, a dangling symlink fail it)."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith((".", "__pycache__")) for part in rel.parts):
            yield rel.as_posix(), path


def place_code(bundle: CodeBundle, cache: Path) -> tuple[Path, str | None]:
    """On a worker: (spec folder, src) to run the trial with.

    The original paths when they hold the very same files; else the bundle unpacked (once per
    digest) under ``cache``.
    """
    with zipfile.ZipFile(io.BytesIO(bundle.archive)) as archive:
        if all(_same(path, archive.read(name)) for name, path in bundle.sources().items()):
            return Path(bundle.folder), bundle.src
        root = cache / bundle.digest
        if not root.is_dir():
            cache.mkdir(parents=True, exist_ok=True)
            scratch = cache / f".{bundle.digest}-{uuid.uuid4().hex}"
            archive.extractall(scratch)
            try:
                os.rename(scratch, root)
            except OSError:  # another task unpacked it first
                shutil.rmtree(scratch, ignore_errors=True)
    src = None if bundle.src is None else str(root / _SRC / Path(bundle.src).name)
    if bundle.src is not None and Path(bundle.src).is_relative_to(bundle.folder):
        src = str(root / _FOLDER / Path(bundle.src).relative_to(bundle.folder))
    return root / _FOLDER, src


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


# -- the results folder ---------------------------------------------------------------------
def write_probe(trials_root: Path) -> tuple[str, str] | None:
    """Leave a token in ``trials_root`` for workers to look for; (path, token), or None."""
    path = trials_root / PROBE_NAME
    token = uuid.uuid4().hex
    try:
        trials_root.mkdir(parents=True, exist_ok=True)
        path.write_text(token, encoding="utf-8")
    except OSError:
        return None
    return str(path), token


def reads_probe(probe: tuple[str, str]) -> bool:
    """Whether this machine sees the probe and may write beside it: it shares the results
    folder with hypermax (one it sees read-only, a shared filesystem mounted so on the workers,
    would fail every trial it runs in place)."""
    path, token = probe
    try:
        seen = Path(path).read_text(encoding="utf-8") == token
    except OSError:
        return False
    return seen and os.access(Path(path).parent, os.W_OK)


@dataclass(frozen=True)
class TrialFiles:
    """A trial's log and folder, sent back from a worker that does not share the results folder.

    Attributes:
        log: the trial's log.
        files: (path relative to the trial's folder, content) of each file sent back.
        left: the files too large to send, and ``kept_at``: the folder on the worker that
            keeps them.
    """

    log: bytes
    files: tuple[tuple[str, bytes], ...] = ()
    left: tuple[str, ...] = ()
    kept_at: str | None = None


def gather_files(trial_dir: Path, log_path: Path, scratch: Path) -> TrialFiles:
    """On a worker: the trial's files to send back; ``scratch`` is removed unless some stay,
    and then keeps those alone."""
    sent: list[tuple[str, bytes]] = []
    left: list[str] = []
    size = 0
    for path in sorted(p for p in trial_dir.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(trial_dir).as_posix()
        length = path.stat().st_size
        if size + length > SEND_BACK_CAP_BYTES:
            left.append(rel)
            continue
        size += length
        sent.append((rel, path.read_bytes()))
    log = log_path.read_bytes() if log_path.is_file() else b""
    if not left:
        shutil.rmtree(scratch, ignore_errors=True)
        return TrialFiles(log, tuple(sent))
    for rel, _ in sent:  # what goes back is not kept twice: the folder keeps what is left
        with contextlib.suppress(OSError):
            (trial_dir / rel).unlink()
    with contextlib.suppress(OSError):
        log_path.unlink()
    return TrialFiles(log, tuple(sent), tuple(left), str(trial_dir))


def restore_files(files: TrialFiles, trial_dir: Path, log_path: Path, worker: str) -> None:
    """On hypermax's machine: write what a worker sent back into the trial's folder and log.

    Raises :class:`~hypermax.execution.trial_setup.FolderUnwritable`, naming the folder that
    refused, when the results folder takes no trial's folder (read-only, immutable, a file in
    place of its ``trials``), as a trial run here would; any other OSError as it comes (of the
    log: a trial's log that cannot be written does not stop the search).
    """
    try:
        trial_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno not in UNWRITABLE_ERRNOS:
            raise
        raise folder_unwritable(exc, trial_dir) from None
    for rel, data in files.files:
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            continue  # a worker names files inside the trial's folder, nothing else
        target = trial_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(files.log)
        if files.left:
            one = len(files.left) == 1
            noun, were, they = (
                ("file", "was", "it stays") if one else ("files", "were", "they stay")
            )
            log.write(
                f"\n[hypermax: {len(files.left)} {noun} of the trial's folder {were} too large to "
                f"send back; {they} on Dask worker {worker} in {files.kept_at}: "
                f"{', '.join(files.left)}]\n".encode()
            )


class SentBack:
    """Writes what workers sent back into the results folder (:func:`restore_files`). A
    results folder that takes no trial's folder stops the search, as for a trial run on
    hypermax's machine: its error is kept for :meth:`raise_refusal`; any other write that fails
    is logged and the trial's files dropped."""

    def __init__(self) -> None:
        self._refused: FolderUnwritable | None = None
        self._raised = False

    def restore(self, files: TrialFiles, trial_dir: Path, log_path: Path, worker: str) -> None:
        try:
            restore_files(files, trial_dir, log_path, worker)
        except OSError as exc:
            if isinstance(exc, FolderUnwritable) and self._refused is None:
                self._refused = exc
                return
            log.warning("cannot write what trial %s sent back: %s", trial_dir.name, exc)

    def raise_refusal(self) -> None:
        """Raise the results folder's refusal, once, if it refused."""
        if self._refused is not None and not self._raised:
            self._raised = True
            raise self._refused


def append_note(log_path: Path, text: str) -> None:
    """A line from hypermax at the end of a trial's log (created if missing)."""
    with contextlib.suppress(OSError):
        log_path.parent.mkdir(parents=True, exist_ok=True)
    trial_log.append_note(log_path, text)
