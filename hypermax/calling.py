"""How hypermax calls a trial function: with the params dict, or with the params as keywords,
and with a reporter when it takes one.

``def train(params)``, ``def train(params, reporter)`` and ``def train(params, reporter=None)``
get the params dict; a function whose first parameter (``reporter`` aside) is named after a
top-level param, ``def train(lr, layers, reporter=None)``, or that takes only ``**kwargs``, gets
them as keywords. The trial's bootstrap calls by these rules, and ``validate`` and
``hypermax.optimize`` check a function that takes keywords against the space before anything
runs. Every trial imports this module: it imports nothing (``inspect`` only for a callable that
is not a plain function).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

_FunctionType = type(lambda: None)  # types.FunctionType
_CO_VARARGS = 0x04  # inspect.CO_VARARGS
_CO_VARKEYWORDS = 0x08  # inspect.CO_VARKEYWORDS


class Signature:
    """How a trial function takes its arguments, as far as hypermax calls it.

    ``names``: the parameters that can be given by keyword, in order, ``reporter`` left out;
    ``var_keyword``: whether it takes ``**kwargs``; ``only_keywords``: whether it takes no
    positional argument at all (not even ``*args``); ``reporter``: 'keyword', 'positional' or
    None, how it takes a reporter, if it does. (A plain class: ``typing`` is not imported here.)
    """

    __slots__ = ("names", "only_keywords", "reporter", "var_keyword")

    def __init__(
        self, names: tuple[str, ...], var_keyword: bool, only_keywords: bool, reporter: str | None
    ) -> None:
        self.names = names
        self.var_keyword = var_keyword
        self.only_keywords = only_keywords
        self.reporter = reporter


def signature(fn: Callable[..., Any]) -> Signature:
    """Read how ``fn`` takes its arguments.

    A plain function is read from its code object; anything else (a bound method, a partial, a
    callable object, a decorated function: ``functools.wraps`` sets ``__wrapped__``) from
    ``inspect.signature``, imported only then.
    """
    code = getattr(fn, "__code__", None)
    if not isinstance(fn, _FunctionType) or code is None or hasattr(fn, "__wrapped__"):
        return _signature_by_inspect(fn)
    positional = code.co_argcount
    named = code.co_varnames[code.co_posonlyargcount : positional + code.co_kwonlyargcount]
    var_keyword = bool(code.co_flags & _CO_VARKEYWORDS)
    if code.co_flags & _CO_VARARGS:
        positional += 1
    return signature_from(named, var_keyword, positional)


def _signature_by_inspect(fn: Callable[..., Any]) -> Signature:
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return Signature((), False, False, None)
    kinds = inspect.Parameter
    named = [p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)]
    positional = sum(p.kind not in (kinds.KEYWORD_ONLY, kinds.VAR_KEYWORD) for p in params)
    var_keyword = any(p.kind == kinds.VAR_KEYWORD for p in params)
    return signature_from(named, var_keyword, positional)


def signature_from(named: Sequence[str], var_keyword: bool, positional: int) -> Signature:
    """A :class:`Signature` from the names that can be given by keyword (in order), whether
    there is ``**kwargs``, and how many positional arguments it takes (``*args`` counts one)."""
    if "reporter" in named:
        reporter: str | None = "keyword"
    else:
        reporter = "positional" if positional >= 2 else None
    names = tuple(name for name in named if name != "reporter")
    return Signature(names, var_keyword, positional == 0, reporter)


def takes_keywords(sig: Signature, params: Any) -> bool:
    """Whether the function is called with the params as keywords, ``train(lr=.., layers=..)``,
    rather than with the params dict: when its first parameter (``reporter`` aside) is named
    after a top-level param, or it takes nothing but ``**kwargs``."""
    if not isinstance(params, dict):
        return False
    if sig.names:
        return sig.names[0] in params
    return sig.var_keyword and sig.only_keywords


def keyword_mismatch(
    function: str, sig: Signature, required: Sequence[str], params: Any
) -> str | None:
    """What stops a function taking its params as keywords from taking these, or None.

    ``required`` are its parameters without a default (``reporter`` aside); ``params`` the
    top-level param names. ``"train() has no parameter for the param 'dropout'"``.
    """
    if not takes_keywords(sig, dict.fromkeys(params)):
        return None
    missing = [name for name in required if name not in params]
    if missing:
        return f"{function}() takes {missing[0]!r}, which the space does not have"
    extra = [name for name in params if name not in sig.names]
    if extra and not sig.var_keyword:
        return f"{function}() has no parameter for the param {extra[0]!r}"
    return None


def dict_mismatch(
    function: str,
    sig: Signature,
    positional: Sequence[str],
    keyword_only: Sequence[str],
    params: Sequence[str],
) -> str | None:
    """What stops a function that takes the params dict from being called as the trial calls
    it, ``train(params)``, ``train(params, reporter)`` or ``train(params, reporter=...)``, or
    None (also for a function that takes its params as keywords: :func:`keyword_mismatch`).

    ``positional`` are its positional parameters without a default, in order (positional-only
    ones too), ``keyword_only`` its keyword-only ones without a default (``reporter`` may be
    among them); ``params`` the top-level param names. ``"train() takes 'other', which a trial
    does not give: it is called train(params, reporter)"``.
    """
    if takes_keywords(sig, dict.fromkeys(params)):
        return None
    call = {"keyword": "params, reporter=...", "positional": "params, reporter"}
    called = f"it is called {function}({call.get(sig.reporter or '', 'params')})"
    if sig.only_keywords:
        return f"{function}() takes no positional argument for the params dict: {called}"
    given = 2 if sig.reporter == "positional" else 1
    unfilled = [name for name in positional if name != "reporter" or sig.reporter != "keyword"]
    unfilled = unfilled[given:] + [name for name in keyword_only if name != "reporter"]
    if unfilled:
        return f"{function}() takes {unfilled[0]!r}, which a trial does not give: {called}"
    return None
