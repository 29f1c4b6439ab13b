"""How the objective of the caller's program goes to the trial processes: pickled with
cloudpickle, the caller's own code by value, libraries by name (the trial side is
:mod:`hypermax.shipped` and :mod:`hypermax.unpickling`)."""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from collections import ChainMap
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any

from hypermax.shipped import ENTRY, IMPORTED_FROM, SHIPPED_PATH
from hypermax.unpickling import cached_again, code_in_file


def pickled(fn: Callable[..., Any]) -> bytes:
    """``fn`` pickled with cloudpickle; user code travels by value, libraries by name.

    cloudpickle sends functions of ``__main__`` (a script, a notebook) by value by itself; a
    function of any other module not installed as a library (a test module, a module next to
    the notebook) is sent by value too, so the trial process need not be able to import it.
    The modules it refers to are imported by name in the trial, which looks for them where
    this process does: the pickle carries this process's ``sys.path`` (a script's folder, when
    the script ran from another folder), put before the trial's own entries that it lacks.
    Raises TypeError naming what could not be pickled (a lock, an open file, a connection that
    the callable refers to, or its object holds).
    """
    import io
    import pickle

    import cloudpickle

    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    by_value = module is not None and module.__name__ != "__main__" and _user_code(module)
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        buffer = io.BytesIO()
        _pickler()(buffer, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(fn)
        data = buffer.getvalue()
    except Exception as exc:  # pickling raises TypeError, PicklingError, or the object's own
        raise TypeError(
            f"optimize(): the objective cannot be sent to the trial processes: {exc} "
            "(it is pickled with what it refers to: a bound method with its object, a "
            "closure with its variables; create such things inside the objective)"
        ) from exc
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)
    path = [os.path.abspath(entry or os.curdir) for entry in sys.path if isinstance(entry, str)]
    roots = [root for root in _import_roots() if root not in path]
    return pickle.dumps({SHIPPED_PATH: path, IMPORTED_FROM: roots, ENTRY: data})


def _import_roots() -> list[str]:
    """The folders the caller's own modules were imported from (``helpers.py`` in
    ``/p/project``: ``/p/project``; ``pkg/sub.py`` there too), where ``sys.path`` may no
    longer lead: its ``""`` is the current folder, which the program may have changed since it
    imported them (``os.chdir``, a notebook's ``%cd``)."""
    roots: dict[str, None] = {}
    libraries = tuple(_library_folders())
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name == "__main__" or not isinstance(file, str) or file.startswith(libraries):
            continue  # a library's, told by its path alone: 1,700 modules resolved took 0.4 s
        if not _user_code(module):
            continue
        found = Path(file)
        if found.stem == "__init__":  # a package: its folder is the module
            found = found.parent
        depth = len(name.split("."))
        if found.stem != name.rpartition(".")[2] or len(found.parents) < depth:
            continue  # not where its name says (a module put in sys.modules by hand)
        roots[str(found.parents[depth - 1])] = None
    return list(roots)


def _code_in_its_file(code: CodeType) -> Any:
    """How :func:`pickled` pickles a code object: as cloudpickle does, with its file's name
    kept (cloudpickle 3 names every file ``<dynamic-code>``), so that a traceback in a trial's
    log names the file and line of the objective, with the line itself."""
    import cloudpickle

    reduced = cloudpickle.Pickler.dispatch_table[CodeType](code)
    if not isinstance(reduced, tuple) or reduced[0] is not CodeType:
        return reduced
    return code_in_file, (reduced[1], code.co_filename)


def _cached_by_value(cached: Any) -> Any:
    """How :func:`pickled` pickles a function that ``functools.cache`` (or ``lru_cache``)
    wrapped: one of the caller's script or notebook (``__main__``, or code run in a namespace
    of its own, as Streamlit runs an app; a ``load_data()`` the objective calls) as the
    function it wraps, which goes by value, wrapped again in the trial
    (:func:`hypermax.unpickling.cached_again`); pickle would name it in a module the trial
    cannot import (its ``__main__`` is not the script's). One a module holds by its name goes
    by that name, as pickle sends it."""
    module = sys.modules.get(getattr(cached, "__module__", None) or "")
    named = module is not None and module.__name__ != "__main__"
    if named and getattr(module, cached.__qualname__, None) is cached:
        return cached.__reduce__()
    return cached_again, (cached.__wrapped__, cached.cache_parameters())


def _pickler() -> type:
    """cloudpickle's pickler, but for code objects (:func:`_code_in_its_file`) and the cached
    functions of the caller's script (:func:`_cached_by_value`)."""
    import cloudpickle

    class Pickler(cloudpickle.Pickler):  # type: ignore[misc]
        dispatch_table = ChainMap(
            {CodeType: _code_in_its_file, functools._lru_cache_wrapper: _cached_by_value},
            cloudpickle.Pickler.dispatch_table,
        )

    return Pickler


def _library_folders() -> set[str]:
    """The folders of the standard library and the installed packages, as written and as
    resolved, each ending in a separator."""
    folders = {sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")}
    return {os.path.join(f, "") for folder in folders for f in (folder, os.path.realpath(folder))}


def _user_code(module: Any) -> bool:
    """Whether a module is the user's own code rather than the standard library or a package:
    a file outside them, or a module made by hand (``types.ModuleType`` filled by ``exec``, as
    a tool that runs the user's code in a module of its own makes it), which no trial could
    import by its name."""
    file = getattr(module, "__file__", None)
    if module.__name__.split(".")[0] == "hypermax":
        return False
    if not file:  # the import system gives every module it made a __spec__
        return getattr(module, "__spec__", None) is None
    libraries = {sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")}
    resolved = Path(file).resolve()
    return not any(resolved.is_relative_to(Path(lib).resolve()) for lib in libraries)
