"""The subcommands behind the command line; each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hypermax.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SEARCH_FAILED, ResultsError, UsageError
from hypermax.spec import load_spec
from hypermax.specfile.checks import NO_CLUSTER


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    if getattr(args, "scheduler", None) is not None:
        raise UsageError(f"hypermax: --scheduler: {NO_CLUSTER}")
    out: dict[str, Any] = {}
    for flag, dotted in (
        ("iterations", "search.iterations"),
        ("seed", "search.seed"),
        ("parallel", "function.parallel"),
        ("results", "results.directory"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            out[dotted] = value
    return out


def finish(outcome: Any) -> int:
    """The exit code of a search that ended: interrupted, every trial failed, or done."""
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.best is None and outcome.done > 0:
        print("hypermax: every trial failed; their logs are in the results folder", file=sys.stderr)
        return EXIT_SEARCH_FAILED
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from hypermax.search import execute, prepare, use_dashboard

    spec = load_spec(args.spec, _overrides(args))
    folder = Path(args.results_dir) if args.results_dir else None
    prepared = prepare(spec, folder, fresh=args.fresh)
    return finish(execute(prepared, use_dashboard(spec, args.no_ui)))


def cmd_resume(args: argparse.Namespace) -> int:
    from hypermax.search import execute, frozen_spec, prepare, use_dashboard

    results_dir = Path(args.results_dir)
    spec = frozen_spec(results_dir, _overrides(args))
    prepared = prepare(spec, results_dir)
    return finish(execute(prepared, use_dashboard(spec, args.no_ui)))


def cmd_sample(args: argparse.Namespace) -> int:
    import secrets

    from hypermax.optimizers import NoProposal
    from hypermax.search import build_optimizer
    from hypermax.space import Space

    if args.n < 1:
        raise UsageError("hypermax sample: -n must be at least 1")
    spec = load_spec(args.spec, _overrides(args))
    seed = spec.search.seed if spec.search.seed is not None else secrets.randbelow(2**31)
    optimizer = build_optimizer(spec, Space.from_spec(spec), seed)
    for trial_id in range(1, args.n + 1):
        proposal = optimizer.ask(trial_id)
        if isinstance(proposal, NoProposal):
            break  # the method proposes nothing more without results
        print(json.dumps(proposal.params))
    return EXIT_OK


def _load_trials(results_dir: str) -> list[Any]:
    from hypermax.journal import read_records, replay
    from hypermax.results import ResultsFolder

    folder = ResultsFolder(Path(results_dir))
    if not folder.journal.exists():
        raise ResultsError(f"{results_dir}: not a hypermax results folder (no trials.jsonl)")
    return list(replay(read_records(folder.journal), folder.journal).trials.values())


def cmd_show(args: argparse.Namespace) -> int:
    from collections import Counter

    from hypermax.ablation_table import ablation_lines
    from hypermax.export import best_trial
    from hypermax.ui.console import format_loss, format_params, trials_text
    from hypermax.ui.formatting import format_state

    trials = _load_trials(args.results_dir)
    counts = Counter(t.state.value for t in trials)
    print(
        f"{args.results_dir}: {trials_text(len(trials))} ("
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + ")"
    )
    best = best_trial(trials)
    if best is None:
        print("no trial produced a loss")
        return EXIT_OK
    print(f"best loss {format_loss(best.loss)} (trial {best.id}): {format_params(best.params)}")
    ranked = sorted((t for t in trials if t.loss is not None), key=lambda t: (t.loss, t.id))[:10]
    print(f"{'trial':>6}  {'loss':<12}  {'state':<11}  {'time':>7}  params")
    for t in ranked:
        params = format_params(t.params, 100)
        state = format_state(t)
        print(f"{t.id:>6}  {format_loss(t.loss):<12}  {state:<11}  {t.time or 0:>6.1f}s  {params}")
    table = ablation_lines(trials)
    if table:
        print()
        print("\n".join(table))
    if getattr(args, "importance", False):
        from hypermax.analysis import param_importance, scored_trials

        print()
        print("\n".join(importance_lines(param_importance(scored_trials(trials)))))
    return EXIT_OK


def importance_lines(importance: Any) -> list[str]:
    """``show --importance``: the params by importance, with a bar, rho and an enum's best value."""
    if not importance.params:
        return ["param importance: too few trials with a loss that varies to rank the params"]
    how = "a random forest" if importance.method == "forest" else "Spearman's rho"
    lines = [f"param importance ({how}, {importance.trials} trials; rho: rank correlation)"]
    width = max(len("param"), *(len(p.name) for p in importance.params))
    lines.append(f"{'param':<{width}}  importance              rho  best")
    for p in importance.params:
        bar = "#" * round(p.importance * 20)
        rho = "" if p.rho is None else f"{p.rho:+.2f}"
        best = "" if p.best_value is None else json.dumps(p.best_value)
        lines.append(f"{p.name:<{width}}  {p.importance:4.2f} {bar:<20}{rho:>5}  {best}".rstrip())
    return lines


def cmd_export(args: argparse.Namespace) -> int:
    """CSV: one row per finished trial. JSON: ``{"trials": [...], "importance": {...}}``.

    The importance always rests on every finished trial, ``--best`` or not.
    """
    from hypermax.export import best_trial, rows_to_csv, trial_document, trial_row

    finished = [t for t in _load_trials(args.results_dir) if t.state.finished]
    trials = finished
    if args.best:
        best = best_trial(trials)
        trials = [best] if best else []
    if args.format == "json":
        from hypermax.analysis import param_importance, scored_trials

        doc = {
            "trials": [trial_document(t) for t in trials],
            "importance": param_importance(scored_trials(finished)).to_dict(),
        }
        print(json.dumps(doc, indent=2, default=str))
    else:
        sys.stdout.write(rows_to_csv([trial_row(t) for t in trials]))
    return EXIT_OK
