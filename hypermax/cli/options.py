"""The spec's values that options of the command line set (``--parallel``, ``--seed``, ...)."""

from __future__ import annotations

import contextlib

from hypermax.errors import HypermaxError, SearchFailed, SpecError, UsageError

TYPE_CHECKING = False  # typing itself is not imported: it would cost every ``--help``

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from typing import Any

    from hypermax.spec import Spec

#: the spec's values that options of the command line set, by option
_OPTION_PATHS = {
    "iterations": "search.iterations",
    "seed": "search.seed",
    "parallel": "function.parallel",
    "results": "results.directory",
    "scheduler": "cluster.scheduler",
}


def option_values(args: argparse.Namespace) -> dict[str, Any]:
    """The spec's values the options of ``args`` set, by dotted path."""
    out: dict[str, Any] = {}
    for flag, dotted in _OPTION_PATHS.items():
        value = getattr(args, flag, None)
        if value is not None:
            out[dotted] = value
    return out


def load_with_options(args: argparse.Namespace, load: Callable[[dict[str, Any]], Spec]) -> Spec:
    """``load(overrides)``: the spec with the values the options set (:func:`option_values`). A
    problem with one of those values names the option, not the spec's path, which holds
    another value or none: ``hypermax run: --parallel: must be at least 1, got 0``."""
    overrides = option_values(args)
    try:
        return load(overrides)
    except SpecError as exc:
        options = {path: f"--{flag}" for flag, path in _OPTION_PATHS.items() if path in overrides}
        files = getattr(exc, "files", [exc.file] * len(exc.problems))
        lines = [
            f"hypermax {args.command}: {options[path]}: {text}"
            if file == exc.file and path in options
            else line
            for (path, text), file, line in zip(exc.problems, files, exc.lines(), strict=True)
        ]
        if lines == exc.lines():
            raise
        raise UsageError("\n".join(lines)) from None


def said_of_options(exc: HypermaxError, args: argparse.Namespace, spec_file: str) -> HypermaxError:
    """``exc`` with each of its ``spec_file: cluster.scheduler: ...`` lines whose value an
    option of ``args`` set naming that option instead (``hypermax validate: --scheduler: no
    Dask scheduler answers at ...``): the spec holds another value there, or none. Its kind,
    and so its exit code, stays."""
    options = _option_prefixes(args, spec_file)
    if isinstance(exc, SpecError):
        if exc.file != spec_file:
            return exc
        prefixes = {f"{spec_file}: {path}: " for path, _ in exc.problems}
        if not prefixes & options.keys():
            return exc
        text = "\n".join(exc.lines())
        kind: type[HypermaxError] = UsageError
    elif type(exc) in (SearchFailed, UsageError):
        text, kind = str(exc), type(exc)
    else:
        return exc
    said = "\n".join(map(named_by_options(args, spec_file), text.splitlines()))
    return exc if said == text else kind(said)


def _option_prefixes(args: argparse.Namespace, spec_file: str) -> dict[str, str]:
    """``spec_file: search.seed: `` → ``hypermax run: --seed: ``, for each spec path whose
    value an option of ``args`` set."""
    return {
        f"{spec_file}: {path}: ": f"hypermax {args.command}: {flag}: "
        for path, flag in ((p, f"--{f}") for f, p in _OPTION_PATHS.items())
        if path in option_values(args)
    }


def named_by_options(args: argparse.Namespace, spec_file: str) -> Callable[[str], str]:
    """A function giving a line ``spec_file: search.seed: ...`` about a value an option of
    ``args`` set as that option's (``hypermax run: --seed: 5 is not used: ...``): the spec
    holds another value there, or none. Any other line is given as it is."""
    options = _option_prefixes(args, spec_file)

    def said(line: str) -> str:
        prefix = next((p for p in options if line.startswith(p)), None)
        return line if prefix is None else options[prefix] + line[len(prefix) :]

    return said


@contextlib.contextmanager
def options_named(args: argparse.Namespace, spec_file: str) -> Iterator[None]:
    """A HypermaxError raised inside, raised again as :func:`said_of_options` words it: a
    value an option gave (``--scheduler``) named as that option's, not the spec's."""
    try:
        yield
    except HypermaxError as exc:
        said = said_of_options(exc, args, spec_file)
        if said is exc:
            raise
        raise said from None
