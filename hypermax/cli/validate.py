"""``hypermax validate``: check a spec as a run would read it, and print every problem."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from hypermax.cli.options import load_with_options, options_named
from hypermax.errors import UsageError, printable, shown_file

if TYPE_CHECKING:
    from hypermax.spec import Spec


def cmd_validate(args: argparse.Namespace) -> int:
    """``hypermax validate SPEC``: 0 with one line that sums the spec up (and what its Dask
    cluster says, with ``--connect``); a problem raises, as a run would meet it."""
    from hypermax.registry import METHODS
    from hypermax.space import Space, skipped_point

    spec = load_with_options(args, lambda overrides: _load(args.spec, overrides))
    for notice in spec.notices:
        print(notice, file=sys.stderr)
    space = Space.from_spec(spec)
    _, unusable = space.points_as_trials(spec.search.points)
    for where, why in unusable:
        print(
            f"hypermax: warning: {skipped_point(shown_file(args.spec), where, why)}",
            file=sys.stderr,
        )
    if spec.search.warm_start is not None:  # read as a run reads it: one it cannot is refused
        from hypermax.errors import ResultsError, SpecError
        from hypermax.journal_records import holds_trials
        from hypermax.results import ResultsFolder
        from hypermax.warmstart import WarmStartError, warm_start_trials

        try:  # a run reads it before its search's first trial only
            if not holds_trials(ResultsFolder(spec.results_folder).journal):
                warm_start_trials(spec)
        except ResultsError as exc:
            problem = exc.problem if isinstance(exc, WarmStartError) else str(exc)
            raise SpecError(shown_file(args.spec), [("search.warm_start", problem)]) from None
    cluster_lines = _connect(spec, shown_file(args.spec), args) if args.connect else []
    method = spec.search.method
    info = METHODS.get(method)
    if info is None:  # a plugin checks its options as it is built: built as a run builds it
        from hypermax.search import build_optimizer

        build_optimizer(spec, space, spec.search.seed or 0)
    about = f"method {method}: {info.summary}" if info else f"plugin method {method}"
    if method == "auto":
        from hypermax.optimizers.auto import chosen

        first = chosen(space, spec.search.options, spec.function.parallel)
        about += f"; here it starts with {first}"
    if method == "grid":
        about += f", {space.size() or 0:,} grid points"
    from hypermax.output import write_out
    from hypermax.ui.formatting import counted

    searched = counted(len(space.labels()), "searched parameter")
    iterations = counted(spec.search.iterations, "iteration")
    ok = f"{printable(shown_file(args.spec))}: ok ({searched}, {iterations}, {about})"
    lines = [ok, *_stopping_lines(spec), *cluster_lines]
    write_out("".join(f"{line}\n" for line in lines), "validate")
    return 0


def _stopping_lines(spec: Spec) -> list[str]:
    """``early stopping: asha, rungs at steps 3, 9 (max_steps 27), ...``: where the spec's
    early stopping judges a trial; none without it."""
    from hypermax.stopping import EarlyStopping

    summary = EarlyStopping.of(spec.search.early_stopping).summary()
    return [] if summary is None else [f"early stopping: {summary}"]


def _load(path: str, overrides: dict[str, Any]) -> Spec:
    """The spec at ``path`` as a run reads it; the frozen spec of a results folder as
    ``hypermax resume`` reads it, its relative paths from the spec it came from."""
    from pathlib import Path

    from hypermax.spec import load_spec

    folder = Path(path).parent
    # the names of a results folder's frozen spec and journal: hypermax.results (which
    # imports more than validate needs) is imported for such a folder alone
    frozen = Path(path).name == "search.json" and os.path.isfile(folder / "trials.jsonl")
    if frozen and os.path.isfile(path):
        from hypermax.results import holds_own_spec

        if not holds_own_spec(folder):
            from hypermax.frozen_spec import frozen_spec

            return frozen_spec(folder, overrides)
    return load_spec(path, overrides)


def _connect(spec: Spec, spec_arg: str, args: argparse.Namespace) -> list[str]:
    """``validate --connect``: what the spec's Dask cluster says; raises if it cannot serve.
    ``spec_arg`` names the spec file read, as its errors name it; an address ``--scheduler``
    gave is named as that option's."""
    if spec.cluster is None:
        raise UsageError(f"hypermax validate: --connect: {spec_arg} has no cluster section")
    from hypermax.execution.dask_cluster import check_cluster
    from hypermax.specfile.function import module_origin

    module = spec.function.module  # one not found here is the workers' to have: asked there
    if module is None or module_origin(module, spec.folder) is not None:
        module = None
    with options_named(args, spec_arg):
        return check_cluster(spec.cluster, spec_arg, module)
