"""``hypermax quick``: tune a command from ranges typed on the command line, without a spec.

``hypermax quick --hp lr=1e-5:l5:0.1 --hp layers=1,2,3 --metric val_loss:min -- python train.py
--lr {lr}`` builds the spec such a search needs (:func:`quick_spec`): the ranges (see
:mod:`hypermax.quick.ranges`) as its hyperparameters, the command as an ``executable`` run from
the current folder through :mod:`hypermax.quick.metric_line`, which reads the metric from the
command's output (``val_loss: 0.31`` or ``val_loss=0.31``, the last one wins) unless the command
writes its result file, and the metric with its direction as what the search optimises.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from hypermax.errors import EXIT_OK, UsageError, current_folder
from hypermax.output import write_out
from hypermax.quick.ranges import RangeError, metric_goal, parse_assignment, space_node
from hypermax.quick.reader import reader_command
from hypermax.specfile.function import program_problem, script_problem

__all__ = ["add_parser", "cmd_quick", "quick_spec"]

#: how the spec of a quick search is named in messages, and its default search name
ORIGIN = "hypermax quick"
DEFAULT_NAME = "quick"


def add_parser(sub: Any) -> None:
    """The ``quick`` subcommand's arguments."""
    quick = sub.add_parser(
        "quick",
        help="tune a command from ranges on the command line",
        description="Ranges: a:b uniform (integers when both ends are), a:lN:b log-uniform "
        "(N log-spaced grid points), a:uN:b uniform (N grid points), a,b,c a list, v a constant. "
        "{name} in the command is replaced by the param's value.",
    )
    quick.add_argument(
        "--hp", action="append", required=True, metavar="NAME=RANGE", help="a param and its range"
    )
    quick.add_argument(
        "--metric", required=True, metavar="NAME[:min|:max]", help="the value to optimise"
    )
    quick.add_argument("--method", default="tpe", help="search.method (default tpe)")
    quick.add_argument("--iterations", type=int, metavar="N", help="trials in all")
    quick.add_argument("--parallel", type=int, metavar="N", help="trials at the same time")
    quick.add_argument("--seed", type=int, help="the optimizer's seed")
    quick.add_argument("--name", default=DEFAULT_NAME, help="search name (results folder)")
    quick.add_argument("--results", default="results", metavar="DIR", help="results directory")
    quick.add_argument("--fresh", action="store_true", help="start anew, keeping the old folder")
    quick.add_argument("--no-ui", action="store_true", help="plain console output")
    quick.add_argument("--save-spec", metavar="FILE", help="write the spec to FILE; run nothing")
    quick.add_argument(
        "trial_command", nargs="+", metavar="COMMAND", help="after --: what a trial runs"
    )


def quick_spec(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The search.json equivalent to a ``hypermax quick`` command line.

    ``folder`` is where the spec would live: the command runs from the current folder, which
    ``function.cwd`` names relative to it.
    """
    if args.method == "ablation":  # its components are in no option of the command line
        raise UsageError(
            f"{ORIGIN}: --method ablation: an ablation study needs the components it leaves out,"
            ' which only a spec gives ("search": {"method": "ablation", "ablation":'
            ' {"components": {...}}})'
        )
    space: dict[str, Any] = {}
    for text in args.hp:
        try:
            name, node = parse_assignment(text)
        except RangeError as exc:
            raise UsageError(f"{ORIGIN}: --hp {text}: {exc}") from None
        if name in space:
            raise UsageError(f"{ORIGIN}: --hp {name} is given twice")
        if args.method == "grid" and "grid_points" not in node:
            _grid_problem(text, node)
        space[name] = node
    goal = metric_goal(args.metric)
    if goal is None:
        raise UsageError(f'{ORIGIN}: --metric "{args.metric}": write NAME, NAME:min or NAME:max')
    metric, direction = goal
    program = args.trial_command[0]
    problem = program_problem(program, Path.cwd(), {})  # None for a {placeholder}
    if problem is None:  # python3 trian.py: found by the reader's spec as no script of its own
        problem = script_problem(args.trial_command, Path.cwd())
    if problem is not None:
        raise UsageError(f"{ORIGIN}: the command: {problem}")
    # as portable as it can be: python3 -m when that imports this hypermax as a trial would
    reader = reader_command(metric, folder)
    function: dict[str, Any] = {
        "type": "executable",
        "command": [*reader, *args.trial_command],
        "cwd": os.path.relpath(Path.cwd(), folder),
    }
    if args.parallel is not None:
        function["parallel"] = args.parallel
    search: dict[str, Any] = {"name": args.name, "method": args.method}
    search.update(metric=metric, direction=direction)
    if args.iterations is not None:
        search["iterations"] = args.iterations
    if args.seed is not None:
        search["seed"] = args.seed
    return {
        "hyperparameters": space_node(space),
        "function": function,
        "search": search,
        "results": {"directory": args.results},  # relative to where hypermax runs, as always
    }


def _grid_problem(text: str, node: dict[str, Any]) -> None:
    """A UsageError for the range ``--hp TEXT`` written without N points, which the grid method
    cannot walk: a range of numbers, or one of integers with more steps than it walks (the
    spec's remedy, a ``"grid"`` of values, is no option of the command line)."""
    from hypermax.space import build_node
    from hypermax.specfile.plans import too_many_steps

    if node.get("type") not in ("number", "integer") or build_node(node, "x").size() is not None:
        return  # a list, a constant, integers few enough to walk each
    why = too_many_steps(node) or "the grid method needs grid points"
    raise UsageError(f"{ORIGIN}: --hp {text}: {why}: write a:lN:b or a:uN:b")


def cmd_quick(args: argparse.Namespace) -> int:
    """Run the search a ``hypermax quick`` command line describes, or save its spec."""
    from hypermax.commands import run_prepared
    from hypermax.results import FolderUnusable
    from hypermax.search import use_dashboard
    from hypermax.search_folder import prepare_run
    from hypermax.spec import spec_from_dict

    here = current_folder(ORIGIN)  # the command runs there, and a relative --save-spec goes
    if args.save_spec is not None:  # "" too: a name left empty ("$SPEC" unset) runs nothing
        if not args.save_spec:
            raise UsageError(f"{ORIGIN}: --save-spec: needs the name of the file to write")
        return _save_spec(args, Path(args.save_spec))
    origin = here / ORIGIN
    spec = _in_quick_terms(spec_from_dict, quick_spec(args, origin.parent), origin)
    try:  # the folder named as the command line names it (not "results.directory")
        prepared = prepare_run(
            spec,
            spec.results_folder,
            fresh=args.fresh,
            path_name=_option,
            said_as=_said_in_quick_terms,
        )
    except FolderUnusable as exc:
        raise FolderUnusable(f"{ORIGIN}: --results: {exc}") from None
    return run_prepared(prepared, use_dashboard(spec, args.no_ui))


def _save_spec(args: argparse.Namespace, target: Path) -> int:
    """``--save-spec FILE``: write the spec there, never over a file, into a folder that is."""
    from hypermax.spec import spec_from_dict

    where = f"{ORIGIN}: --save-spec {target}"
    if target.exists() or target.is_symlink():
        raise UsageError(f"{where}: exists already; nothing was written")
    if not target.resolve().parent.is_dir():
        raise UsageError(f"{where}: no folder {target.parent}")
    doc = quick_spec(args, target.resolve().parent)
    spec = _in_quick_terms(spec_from_dict, doc, target.resolve())  # cannot run: not saved
    made = False
    try:
        with open(target, "x", encoding="utf-8") as f:
            made = True
            f.write(json.dumps(doc, indent=2) + "\n")
    except OSError as exc:  # a read-only folder, a full disk: no half a spec left behind
        if made:
            target.unlink(missing_ok=True)
        raise UsageError(f"{where}: cannot write it: {exc.strerror or exc}") from None
    write_out(f"wrote {target}; run it with: hypermax {target}\n", "quick")
    for notice in spec.notices:  # what validate and a run of it say: 6 of 50 iterations run
        print(notice, file=sys.stderr)
    return EXIT_OK


#: spec paths as a quick command line names them (the longest that fits is used)
_OPTIONS = {
    "search.iterations": "--iterations",
    "search.method": "--method",
    "search.seed": "--seed",
    "search.metric": "--metric",
    "search.direction": "--metric",
    "search.name": "--name",
    "search": "--method",  # a method's own options, which quick cannot give
    "function.parallel": "--parallel",
    "function.command": "the command",
    "results": "--results",
    "hyperparameters.properties": "--hp",
}


def _in_quick_terms(load: Any, doc: dict[str, Any], origin: Path) -> Any:
    """``load(doc, origin)``, its problems named by the options of the command line
    (``--iterations``, ``--hp lr``, "the command") rather than by the spec's JSON paths."""
    from hypermax.errors import SpecError

    try:
        return load(doc, origin)
    except SpecError as exc:
        raise SpecError(ORIGIN, [(_option(path), text) for path, text in exc.problems]) from None


def _said_in_quick_terms(line: str) -> str:
    """A notice of the spec (``hypermax quick: search.iterations: 50, but the grid has 6
    points: ...``) named by the option of the command line that gave the value, as an error
    is (``hypermax quick: --iterations: ...``); any other line as it is."""
    prefix = f"{ORIGIN}: "
    path, said, text = line[len(prefix) :].partition(": ")
    if not line.startswith(prefix) or not said:
        return line
    return f"{prefix}{_option(path)}: {text}"


def _option(path: str) -> str:
    for prefix in sorted(_OPTIONS, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "."):
            rest = path[len(prefix) + 1 :]
            if prefix == "hyperparameters.properties" and rest:
                return f"--hp {rest.split('.')[0]}"
            return _OPTIONS[prefix]
    return path
