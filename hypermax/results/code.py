"""The file of a search's objective, digested: a resume says when it changed since the search
last ran (a bug fixed), its trials before having run the earlier code."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any


def objective_file(function: Any, folder: Path) -> tuple[str, Path] | None:
    """The key of the spec's ``function`` section that names the file of a ``python_function``
    and that file: its ``src``, or its ``module`` found beside the spec (``folder``) as
    ``model.py`` or ``model/__init__.py``; None for an installed module and an executable."""
    if not isinstance(function, dict) or function.get("type") != "python_function":
        return None
    src, module = function.get("src"), function.get("module")
    if isinstance(src, str) and src:
        return "src", folder / os.path.expanduser(src)
    if isinstance(module, str) and module:
        base = folder.joinpath(*module.split("."))
        for path in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if path.is_file():
                return "module", path
    return None


def code_digest(function: Any, folder: Path) -> dict[str, str] | None:
    """``{"module": "model.py", "sha256": ...}``: the key that names the objective's file, the
    file (relative to ``folder`` where it is in it) and a digest of its bytes; None when there
    is no such file or it cannot be read."""
    found = objective_file(function, folder)
    if found is None:
        return None
    key, path = found
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None
    try:
        shown = str(path.relative_to(folder))
    except ValueError:
        shown = str(path)
    return {key: shown, "sha256": digest}
