"""A fresh trial's bootstrap, compiled once per process: one bundle, and ``.pyc`` files.

:func:`compile_bootstrap` writes both into a folder; :func:`bootstrap_code` is the trial's ``-c``
code that runs them (see :mod:`hypermax.execution.fresh`, which makes the folder and says when
trials use it). The bundle (:data:`BUNDLE`) holds the loader (:data:`LOADER`) and the
bootstrap's modules, each with its source's size and time stamp; the trial's ``-c`` code is a
short stub, because Python compiles it in every trial. The ``.pyc`` files serve a trial whose
bundle cannot be used (:data:`FALLBACK`): a source changed since, another Python version.
"""

from __future__ import annotations
import __future__

import ast
import importlib.util
import marshal
import os
import py_compile
import sys
from types import CodeType

from hypermax.execution import protocol, spawn

#: the bootstrap's modules, compiled ahead for the trials (paths from the package's root)
BOOTSTRAP_MODULES = (
    "hypermax/__init__.py",
    "hypermax/calling.py",
    "hypermax/execution/__init__.py",
    "hypermax/execution/protocol.py",
    "hypermax/execution/reports.py",
    "hypermax/execution/trial_exit.py",
    "hypermax/execution/lifeline.py",
    "hypermax/execution/trial_result.py",
    "hypermax/execution/child.py",
    "hypermax/execution/tether.py",
)
#: the pure-Python standard modules they import, imported before ``sys.pycache_prefix`` points
#: to the folder compiled for the bootstrap (where none of theirs is)
BOOTSTRAP_IMPORTS = ("__future__", "os")
#: the trial's ``-c`` code, kept short (Python compiles it in every trial: 0.6 ms for the
#: loader below): it runs the loader the bundle holds, or imports the compiled files when the
#: bundle is missing or was made by another version of Python (:data:`FALLBACK`)
BOOTSTRAP_CODE = """import sys, marshal
from _frozen_importlib_external import MAGIC_NUMBER
try:
    with open({bundle!r}, "rb") as _f:
        _b = _f.read()
    _b = marshal.loads(memoryview(_b)[4:]) if _b[:4] == MAGIC_NUMBER else None
except (OSError, ValueError, EOFError, TypeError):
    _b = None
exec(_b[0] if _b else {fallback!r})
"""
#: the bootstrap imported from its compiled files (``sys.pycache_prefix``, set only while they
#: are imported; the standard modules they import are imported before)
FALLBACK = (
    "import {imports}; own, sys.pycache_prefix = sys.pycache_prefix, {folder!r}; "
    "import {child}, hypermax.execution.tether; sys.pycache_prefix = own; "
    "from {child} import main; sys.exit(main())"
)
#: the bundle's loader, compiled into it: each module of the bundle made as an import makes it,
#: when every source is as it was compiled, else :data:`FALLBACK`; then the trial runs
LOADER = """import os
def _bundled(bundle, modules):
    try:
        for name, file, stamp, code in modules:
            found = os.stat(file)
            if (found.st_mtime_ns, found.st_size) != stamp:
                return False
    except OSError:
        return False
    from _frozen_importlib import ModuleSpec
    from _frozen_importlib_external import SourceFileLoader
    for name, file, stamp, code in modules:
        package = file.endswith("__init__.py")
        module, loader = type(sys)(name), SourceFileLoader(name, file)
        module.__spec__ = spec = ModuleSpec(name, loader, origin=file, is_package=package)
        spec.has_location, spec.cached = True, bundle
        module.__file__, module.__loader__, module.__cached__ = file, loader, bundle
        module.__package__ = name if package else name.rpartition(".")[0]
        if package:
            module.__path__ = spec.submodule_search_locations = [os.path.dirname(file)]
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        exec(code, vars(module))
    return True
_modules = _b[1]
del _f, _b, MAGIC_NUMBER
if not _bundled({bundle!r}, _modules):
    exec({fallback!r})
del _bundled, _modules
from {child} import main
sys.exit(main())
"""
#: the file in the compiled bootstrap's folder that holds the loader and the bootstrap's modules:
#: the magic number of this Python's byte code (as a ``.pyc`` file starts), then the loader's
#: code and the modules (name, file, its size and time stamp, code), marshalled
BUNDLE = "bootstrap.marshal"


def bootstrap_code(folder: str) -> str:
    """The trial's ``-c`` code when its bootstrap is compiled under ``folder``."""
    return BOOTSTRAP_CODE.format(
        bundle=os.path.join(folder, BUNDLE), fallback=_fill(FALLBACK, folder)
    )


def _fill(text: str, folder: str) -> str:
    return text.format(
        folder=folder,
        bundle=os.path.join(folder, BUNDLE),
        fallback=_fill(FALLBACK, folder) if text is not FALLBACK else "",
        imports=", ".join(BOOTSTRAP_IMPORTS),
        child=protocol.CHILD_MODULE,
    )


def compile_bootstrap(folder: str) -> bool:
    """Compile the bootstrap's modules where ``sys.pycache_prefix = folder`` finds them, and
    into one bundle there that a trial runs without looking for any of them (:data:`BUNDLE`)."""
    sources = [os.path.join(spawn.PACKAGE_ROOT, module) for module in BOOTSTRAP_MODULES]
    if not all(compile_file(source, cached_path(folder, source)) for source in sources):
        return False
    try:
        loader = compile(_fill(LOADER, folder), "<hypermax bootstrap>", "exec", dont_inherit=True)
        bundle = (loader, [_bundle_entry(source) for source in sources])
        with open(os.path.join(folder, BUNDLE), "wb") as f:
            f.write(importlib.util.MAGIC_NUMBER + marshal.dumps(bundle))
    except (OSError, SyntaxError, ValueError):
        return True  # the compiled files alone still do
    return True


def _bundle_entry(source: str) -> tuple[str, str, tuple[int, int], CodeType]:
    """One module of the bundle: its name, file, stamp (as the trial checks it) and code.

    Its ``__future__`` imports are compiled in as flags instead of run: a trial does not import
    ``__future__`` for them (the module's names then lack the feature objects, nothing else)."""
    found = os.stat(source)
    with open(source, "rb") as f:
        tree = ast.parse(f.read(), source)
    flags = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                flags |= getattr(__future__, alias.name).compiler_flag
    tree.body = [
        node
        for node in tree.body
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    relative = os.path.relpath(source, spawn.PACKAGE_ROOT)[: -len(".py")].split(os.sep)
    name = ".".join(relative[:-1] if relative[-1] == "__init__" else relative)
    code = compile(tree, source, "exec", flags=flags, dont_inherit=True)
    return name, source, (found.st_mtime_ns, found.st_size), code


def compile_file(source: str, cfile: str) -> bool:
    """Compile ``source`` into ``cfile`` as Python would cache it; whether it compiled.

    Without optimisation, whatever this process's (``python -O -m hypermax``): ``cfile`` is
    where an interpreter started without ``-O``, as a trial's is, looks for it (one with ``-O``
    looks elsewhere), and its ``assert`` statements and docstrings are the trial's."""
    try:
        py_compile.compile(source, cfile=cfile, doraise=True, optimize=0)
    except (OSError, py_compile.PyCompileError):
        return False
    return True


def cached_path(prefix: str, source: str) -> str:
    """Where an interpreter whose ``sys.pycache_prefix`` is ``prefix`` looks for ``source``'s
    byte code (``importlib.util.cache_from_source``, for that prefix and no optimisation)."""
    head, name = os.path.split(os.path.abspath(source))
    stem = name.rpartition(".")[0]
    return os.path.join(prefix, head.lstrip(os.sep), f"{stem}.{sys.implementation.cache_tag}.pyc")
