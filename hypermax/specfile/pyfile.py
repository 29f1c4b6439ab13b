"""Whether a Python file defines a function, read with ``ast`` (never imported, never run).

``validate`` uses it for a ``python_function``'s ``src`` file, or its ``module`` when that is
found beside the spec, so that a misspelt function name is refused before any trial runs. A
file that can define names in ways a reader cannot follow (``from x import *``, a module
``__getattr__``, writing to ``globals()``) is given the benefit of the doubt: the run decides.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

from hypermax import calling

#: files larger than this are left to the run rather than parsed
MAX_SOURCE_BYTES = 2 * 1024 * 1024


def read_function(
    file: Path, name: str, params: Sequence[str] | None = None
) -> tuple[str | None, str | None]:
    """What is wrong with the function ``name`` of ``file``, read (and parsed) once.

    Args:
        file: a ``.py`` file.
        name: the function's name (for a dotted name, its first part, and the attribute of a
            plain class that it names).
        params: the top-level param names, to check a function that takes them as keywords.

    Returns:
        (why the file cannot provide it, or None when it does or may: ``'defines no "trian"
        (it defines: train, evaluate)'``, ``"line 3: invalid Python: ..."``; why it cannot
        take ``params``, or None: see :func:`keyword_problem`). At most one is not None.
    """
    tree = _parsed(file)
    if not isinstance(tree, ast.Module):
        return tree, None
    missing = _missing_function(tree, name)
    if missing is not None or params is None:
        return missing, None
    return None, keyword_problem(tree, name, params)


def _missing_function(tree: ast.Module, name: str) -> str | None:
    wanted, _, attribute = name.partition(".")
    defined = list(_top_level_names(tree.body))
    if _defines_dynamically(tree):
        return None
    if wanted in defined:
        if attribute and defined.count(wanted) == 1:  # Model.train: the class's own body
            return _missing_attribute(tree, wanted, attribute.split(".")[0])
        return None
    kinds = ast.ClassDef if attribute else ast.FunctionDef | ast.AsyncFunctionDef
    found = [node.name for node in tree.body if isinstance(node, kinds) and node.name[:1] != "_"]
    listed = f" (it defines: {', '.join(found[:8])})" if found else ""
    return f'defines no "{wanted}"{listed}'


#: what a class body may hold for a reader to know every name it binds
_PLAIN_CLASS_BODY = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.Expr,
    ast.Pass,
)


def _missing_attribute(tree: ast.Module, owner: str, attribute: str) -> str | None:
    """Why the class ``owner`` of the module has no ``attribute``; None when it has, or may
    have it: a class with bases, a metaclass or a decorator, one its module adds to, and one
    whose body binds names otherwise than by ``def``, ``class`` and assignments to names."""
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == owner]
    if len(classes) != 1:
        return None
    cls = classes[0]
    plain_bases = all(isinstance(b, ast.Name) and b.id == "object" for b in cls.bases)
    if not plain_bases or cls.keywords or cls.decorator_list:
        return None
    if not all(isinstance(node, _PLAIN_CLASS_BODY) for node in cls.body):
        return None
    if any(
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == owner
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ):
        return None  # Model.train = ...: set after the class
    if any(isinstance(node, ast.Call) and _called(node) == "setattr" for node in ast.walk(tree)):
        return None
    names = list(_top_level_names(cls.body))
    if attribute in names:
        return None
    methods = [
        node.name
        for node in cls.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name[:1] != "_"
    ]
    listed = f" ({owner} defines: {', '.join(methods[:8])})" if methods else ""
    return f'defines no "{owner}.{attribute}"{listed}'


def _called(call: ast.Call) -> str | None:
    """The plain name a call calls (``setattr`` of ``setattr(...)``), or None."""
    return call.func.id if isinstance(call.func, ast.Name) else None


def keyword_problem(tree: ast.Module, name: str, params: Sequence[str]) -> str | None:
    """Why the function ``name`` of a module, when it takes its params as keywords
    (:func:`hypermax.calling.takes_keywords`), cannot take the top-level ``params``, or, when
    it takes the params dict, cannot be called with it (a third parameter without a default);
    None when it can, or cannot be read (decorated, defined twice over by a reader's view, or
    not a plain ``def``: the run decides).

    ``"train() has no parameter for the param 'dropout'"``.
    """
    defs = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]
    if len(defs) != 1 or defs[0].decorator_list:
        return None
    args = defs[0].args
    keywordable = [*args.args, *args.kwonlyargs]
    positional = len(args.posonlyargs) + len(args.args) + (args.vararg is not None)
    sig = calling.signature_from(
        [arg.arg for arg in keywordable], args.kwarg is not None, positional
    )
    ordered = [*args.posonlyargs, *args.args]
    with_default = {arg.arg for arg in ordered[len(ordered) - len(args.defaults) :]}
    kw_defaults = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    with_default |= {arg.arg for arg, default in kw_defaults if default is not None}
    required = [n for n in sig.names if n not in with_default]
    without_default = [arg.arg for arg in ordered[: len(ordered) - len(args.defaults)]]
    keyword_only = [arg.arg for arg in args.kwonlyargs if arg.arg not in with_default]
    return calling.keyword_mismatch(name, sig, required, params) or calling.dict_mismatch(
        name, sig, without_default, keyword_only, params
    )


def _parsed(file: Path) -> ast.Module | str | None:
    """The file's syntax tree; why it is no Python (``"line 3: invalid Python: ..."``); or None
    when it is too large, unreadable or past what the parser takes (the run will say)."""
    try:
        if file.stat().st_size > MAX_SOURCE_BYTES:
            return None
        source = file.read_bytes()
    except OSError:
        return None
    if b"\0" in source:  # Python refuses it without a line (or, before 3.11.4, a ValueError)
        line = source[: source.index(b"\0")].count(b"\n") + 1
        return f"line {line}: invalid Python: a NUL byte"
    try:
        return ast.parse(source, filename=str(file))
    except SyntaxError as exc:
        return f"line {exc.lineno}: invalid Python: {exc.msg}"
    except (ValueError, RecursionError, MemoryError):
        return None  # nested past what the parser takes: the run will say


def _top_level_names(body: list[ast.stmt]) -> Iterator[str]:
    """Names bound at module level, also inside ``if``/``try``/``with``/loops (not functions)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield alias.asname or alias.name.split(".")[0]
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                yield from _bound(target)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    yield from _bound(item.optional_vars)
        if isinstance(node, ast.If | ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith):
            yield from _top_level_names(node.body)
            yield from _top_level_names(getattr(node, "orelse", []))
        elif isinstance(node, ast.Try | ast.TryStar):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _top_level_names(block)
            for handler in node.handlers:
                yield from _top_level_names(handler.body)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                yield from _top_level_names(case.body)
    for node in body:  # walrus targets anywhere at module level
        for inner in ast.walk(node):
            if isinstance(inner, ast.NamedExpr):
                yield inner.target.id


def _bound(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound(element)
    elif isinstance(target, ast.Starred):
        yield from _bound(target.value)


def _defines_dynamically(tree: ast.Module) -> bool:
    """Whether the module may bind names a reader cannot see: a star import, ``globals()``,
    ``exec``, ``setattr`` on itself, or a module-level ``__getattr__``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in ("globals", "exec", "setattr", "vars"):
            return True
    return any(
        isinstance(node, ast.FunctionDef) and node.name == "__getattr__" for node in tree.body
    )
