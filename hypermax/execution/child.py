"""The bootstrap that runs a ``python_function`` trial inside its own process.

``python -m hypermax.execution.child (--module NAME | --src PATH) --name FUNC --path DIR``
loads the function, calls it with the params from ``HYPERMAX_PARAMS_FILE`` (and a reporter when
it takes one) and writes the return value to ``HYPERMAX_RESULT_FILE``. Standard library only, so a
trivial trial costs little more than an interpreter start.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from hypermax.execution import protocol


class Reporter:
    """Passed to a trial function that asks for it: ``reporter(step, loss=0.4, acc=0.8)``."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __call__(self, step: int, **metrics: Any) -> None:
        self._stream.write(protocol.format_report(int(step), metrics) + "\n")
        self._stream.flush()


def load_function(module: str | None, src: str | None, name: str) -> Callable[..., Any]:
    if src:
        spec = importlib.util.spec_from_file_location("_hypermax_trial_module", src)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {src}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(str(module))
    return getattr(mod, name)


def wants_reporter(fn: Callable[..., Any]) -> str | None:
    """'positional', 'keyword' or None: how the function takes a reporter, if it does."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.name == "reporter" and p.kind is not p.VAR_POSITIONAL for p in params):
        return "keyword"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return "positional" if len(positional) >= 2 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hypermax-trial")
    parser.add_argument("--module")
    parser.add_argument("--src")
    parser.add_argument("--name", required=True)
    parser.add_argument("--path", default=".")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.path))
    result_file = os.environ[protocol.RESULT_FILE_ENV]
    try:
        with open(os.environ[protocol.PARAMS_FILE_ENV]) as f:
            params = json.load(f)
        fn = load_function(args.module, args.src, args.name)
        how = wants_reporter(fn)
        reporter = Reporter(sys.stdout)
        if how == "keyword":
            value = fn(params, reporter=reporter)
        elif how == "positional":
            value = fn(params, reporter)
        else:
            value = fn(params)
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.flush()
        reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        protocol.write_json_atomic(result_file, {protocol.ERROR_KEY: reason})
        return 1
    protocol.write_json_atomic(result_file, value)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
