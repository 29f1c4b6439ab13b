"""The subcommands behind the command line; each takes parsed arguments and returns an exit code.

Each imports what it needs when it runs: ``show`` and ``export`` never load the spec machinery
(jsonschema) nor the optimizers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.cli.options import load_with_options, named_by_options, options_named
from hypermax.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SEARCH_FAILED,
    ResultsError,
    UsageError,
    current_folder,
    printable,
    shown_file,
)
from hypermax.output import write_out
from hypermax.results import (
    FolderUnusable,
    ResultsFolder,
    check_results_folder,
    frozen_param_names,
    read_text_of,
)
from hypermax.results.lock import of_another_host, stopped_holder
from hypermax.stopping import common_failure, how_they_ended

if TYPE_CHECKING:
    from hypermax.events import SearchOutcome
    from hypermax.journal_replay import JournalState
    from hypermax.search_folder import Prepared
    from hypermax.trial import Trial


def run_prepared(prepared: Prepared, dashboard: bool) -> int:
    """Run a prepared search to its end (:func:`~hypermax.search.execute`); its exit code
    (:func:`finish`). Once the search concluded (its summary shown, its journal closed), an
    interrupt ends the ``hypermax`` program at once with that exit code: the search is over,
    every trial recorded, and it is not "interrupted"."""
    from hypermax.entry import concluded
    from hypermax.search import execute

    outcome = execute(prepared, dashboard, lambda ended: concluded(exit_code(ended)))
    return finish(outcome, prepared.folder)


def exit_code(outcome: SearchOutcome) -> int:
    """The exit code of a search that ended: interrupted, every trial failed, or done."""
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.best is None and outcome.done > 0:
        return EXIT_SEARCH_FAILED
    return EXIT_OK


def finish(outcome: SearchOutcome, folder: ResultsFolder | None = None) -> int:
    """The exit code of a search that ended (:func:`exit_code`), once a search whose every
    trial failed said so on stderr, with the reason most trials share and a log of ``folder``
    that holds it."""
    code = exit_code(outcome)
    if code == EXIT_SEARCH_FAILED:
        print(f"hypermax: {failure_text(outcome.trials, folder)}", file=sys.stderr)
    return code


def failure_text(trials: Sequence[Trial], folder: ResultsFolder | None) -> str:
    """Why no trial has a loss: how they ended (failed, killed, stopped), the reason most of
    them share, and a log that holds details."""
    common = common_failure(trials)
    if common is None:
        return "every trial failed; their logs are in the results folder"
    reason, sharing, failed = common
    share = ""
    if len(sharing) == 1 and failed > 1:  # no two alike: the first of them
        share = f", no two of the {failed} alike; the first"
    elif len(sharing) < failed:
        share = f", {len(sharing)} of the {failed} with"
    last = sharing[-1].id
    log = printable(str(folder.log(last))) if folder is not None else f"the log of trial {last}"
    return f"every trial {how_they_ended(trials)}{share}: {reason}; details in {log}"


def cmd_run(args: argparse.Namespace) -> int:
    from hypermax.search import use_dashboard
    from hypermax.search_folder import prepare_run
    from hypermax.spec import load_spec

    if args.results_dir and args.results is not None:  # the one would leave the other unused
        raise UsageError(
            "hypermax run: give RESULTS_DIR (the search's own folder) or --results (the folder"
            " that holds it), not both"
        )
    spec = load_with_options(args, lambda overrides: load_spec(args.spec, overrides))
    folder = Path(args.results_dir) if args.results_dir else None
    by_option = folder is None and args.results is not None  # named by --results, not the spec
    try:
        prepared = prepare_run(
            spec,
            spec.results_folder if by_option else folder,
            args.fresh,
            said_as=named_by_options(args, shown_file(spec.path)),
        )
    except FolderUnusable as exc:
        if not by_option:
            raise
        raise FolderUnusable(f"hypermax run: --results: {exc}") from None
    with options_named(args, shown_file(args.spec)):  # an address --scheduler gave is its own
        return run_prepared(prepared, use_dashboard(spec, args.no_ui))


def cmd_resume(args: argparse.Namespace) -> int:
    from hypermax.frozen_spec import frozen_spec
    from hypermax.search import use_dashboard
    from hypermax.search_folder import prepare_run

    results_dir = Path(args.results_dir)
    spec = load_with_options(args, lambda overrides: frozen_spec(results_dir, overrides))
    # says what a run says: a long journal's read; a grid's plan short of --iterations
    prepared = prepare_run(spec, results_dir, said_as=named_by_options(args, spec.shown))
    with options_named(args, spec.shown):  # an address --scheduler gave is its own
        return run_prepared(prepared, use_dashboard(spec, args.no_ui))


def cmd_sample(args: argparse.Namespace) -> int:
    from hypermax.sampling import sample
    from hypermax.spec import load_spec

    if args.n < 1:
        raise UsageError(f"hypermax sample: -n: must be at least 1, got {args.n}")
    spec = load_with_options(args, lambda overrides: load_spec(args.spec, overrides))

    said_as = named_by_options(args, shown_file(spec.path))  # a seed --seed gave: --seed

    def say(line: str) -> None:
        sys.stdout.flush()  # the params before it first; to a reader gone away (| head), nothing
        print(said_as(line), file=sys.stderr)

    for params in sample(spec, args.n, say):
        # as UTF-8, a name beyond ASCII as it is written (``λ``), not its escape
        write_out(json.dumps(params, ensure_ascii=False) + "\n", "sample", utf8=True)
    return EXIT_OK


#: the files a spec is read from, and a Python file, which the spec reader says is not one;
#: any other file is neither a spec nor a results folder
SPEC_SUFFIXES = (".json", ".yaml", ".yml", ".py")


def results_folder_named(given: str) -> str:
    """The results folder that a command reading one (``show``, ``export``, ``plot``,
    ``resume``) is given: the folder itself, a file in it (its journal, its frozen spec), or a
    search spec, whose results folder is its ``results.directory``/``search.name``, as a run of
    it makes it. ResultsError (one line, exit 2) for a path that is none of these; an empty
    argument (an unset variable: ``hypermax show "$DIR"``) is the current folder, and named so."""
    path = Path(given)
    given = str(path)
    if not os.path.isfile(path):  # False for a name too long to be there
        check_results_folder(given, strict=False)
        return given
    if ResultsFolder(path.parent).exists():  # results/quad/trials.jsonl: results/quad
        return str(path.parent)
    if path.suffix.lower() not in SPEC_SUFFIXES:
        raise ResultsError(
            f"{given}: is neither a results folder nor a search spec (a .json, .yaml or .yml file)"
        )
    from hypermax.spec import load_spec, results_folder_of

    folder = results_folder_of(given)  # what names the folder alone: the rest may have changed
    if folder is None or not folder.exists():
        folder = load_spec(given).results_folder  # says what is wrong with the spec, if anything
    if not folder.exists():
        if not folder.is_absolute():  # a relative results.directory: from a removed folder?
            current_folder(str(folder))
        raise ResultsError(
            f"{given}: its search has not run yet (no {folder}): hypermax {given} runs it"
        )
    return str(folder)


def _load_trials(results_dir: str, all_metadata: bool = True) -> list[Trial]:
    """The trials of a results folder; without ``all_metadata``, only the best's metadata (see
    :func:`~hypermax.journal_replay.replay`)."""
    return list(_load_state(results_dir, all_metadata).trials.values())


def _load_state(results_dir: str, all_metadata: bool = True) -> JournalState:
    """What the journal of a results folder says (see :func:`_load_trials`)."""
    from hypermax.journal_replay import read_state

    check_results_folder(results_dir)
    folder = ResultsFolder(Path(results_dir))
    # a search that runs, here or on another host: its last line may be being written
    writing = folder.searching() is True or of_another_host(folder.path)
    return read_state(folder.journal, writing, all_metadata)


#: the rows of ``hypermax show``'s table of best trials without ``--top``
SHOW_TOP = 10
#: the options of ``hypermax show`` that shape its summary, which ``--trial`` does not show
SUMMARY_OPTIONS: list[tuple[str, Callable[[argparse.Namespace], bool]]] = [
    ("--importance", lambda args: bool(getattr(args, "importance", False))),
    ("--top", lambda args: args.top is not None),
]


def cmd_show(args: argparse.Namespace) -> int:
    from hypermax.best import best_trial
    from hypermax.show import IMPORT_CUT, summary_lines, trial_lines

    summary_only = [name for name, given in SUMMARY_OPTIONS if given(args)]
    if args.trial is not None and summary_only:  # one trial whole has no table, no ranking
        raise UsageError(
            f"hypermax show: {summary_only[0]}: shapes the summary of the search, not one trial:"
            " give it without --trial"
        )
    top = SHOW_TOP if args.top is None else args.top
    if top < 1:
        raise UsageError(f"hypermax show: --top: must be at least 1, got {top}")
    folder = ResultsFolder(Path(args.results_dir))
    state = _load_state(args.results_dir, all_metadata=args.trial is not None)  # one's shown
    trials = list(state.trials.values())
    if args.trial is None:
        searching, stopped = folder.searching(), stopped_holder(folder.path)
        lines = summary_lines(
            Path(args.results_dir), trials, _metadata(folder), top, searching, stopped
        )
        if state.import_cut and searching is not True:
            lines.insert(1, IMPORT_CUT)
        table = _ablation_table(args.results_dir, trials)
        if table:
            lines += ["", *table]
        if getattr(args, "importance", False):
            from hypermax.analysis import scored_trials
            from hypermax.importance import param_importance

            lines += ["", *importance_lines(param_importance(scored_trials(trials)))]
    else:
        by_id = {t.id: t for t in trials}
        if args.trial not in by_id:
            known = f"trials {min(by_id)} to {max(by_id)}" if by_id else "no trials"
            raise ResultsError(f"{args.results_dir}: has no trial {args.trial} ({known})")
        trial, best = by_id[args.trial], best_trial(trials)
        lines = trial_lines(trial, best, folder.log(args.trial), folder.searching())
    write_out("\n".join(lines) + "\n", "show")
    return EXIT_OK


def _ablation_table(results_dir: str, trials: list[Any]) -> list[str]:
    """The ablation table of a results folder whose search was an ablation study; else no lines
    (and the optimizers are not imported for nothing: ``show`` must start fast)."""
    try:
        frozen = json.loads(read_text_of(Path(results_dir) / "search.json"))
        method = frozen.get("search", {}).get("method")
    except (OSError, ValueError, AttributeError):
        method = "ablation"  # unknown: look at the trials themselves
    if method != "ablation":
        return []
    from hypermax.ablation_table import ablation_lines

    return ablation_lines(trials)


def _metadata(folder: ResultsFolder) -> dict[str, Any]:
    """The search's metadata, from the spec frozen in its folder (none when unreadable)."""
    from hypermax.specfile.compat import metadata

    try:
        doc = json.loads(read_text_of(folder.spec))
    except (OSError, ValueError):
        return {}
    return metadata(doc) if isinstance(doc, dict) else {}


#: the most characters of an enum's best value in ``show --importance`` (the export has it whole)
BEST_CHARS = 100


def importance_lines(importance: Any) -> list[str]:
    """``show --importance``: the params by importance, with a bar, rho and an enum's best value."""
    from hypermax.ui.formatting import columns, json_value, one_line, padded

    if not importance.params:
        return ["param importance: too few trials with a loss that varies to rank the params"]
    from hypermax.importance import FOREST_SAMPLE

    trials = f"{importance.trials} trials"
    if importance.method == "spearman":
        how = f"Spearman's rho, {trials}"
    elif importance.trials > FOREST_SAMPLE:  # it learns from a sample of them (rho: from all)
        how = f"a random forest learnt from {FOREST_SAMPLE} of {trials}"
    else:
        how = f"a random forest, {trials}"
    lines = [f"param importance ({how}; rho: rank correlation)"]
    names = [one_line(p.name) for p in importance.params]
    # a name past 32 columns runs into its row alone, as in show --trial's lists
    width = max(len("param"), min(32, max(columns(name) for name in names)))
    lines.append(f"{'param':<{width}}  {'importance':<25} {'rho':>5}  best")
    for p, name in zip(importance.params, names, strict=True):
        bar = "#" * round(p.importance * 20)
        rho = "" if p.rho is None else f"{p.rho:+.2f}"
        best = json_value(p.best_value) if p.kind == "enum" else ""  # an enum's best: null too
        if len(best) > BEST_CHARS:  # a long text: cut, as the table of trials cuts params
            best = best[: BEST_CHARS - 3] + "..."
        row = f"{padded(name, width)}  {p.importance:4.2f} {bar:<20} {rho:>5}  {best}"
        lines.append(row.rstrip())
    return lines


def cmd_export(args: argparse.Namespace) -> int:
    """CSV: one row per finished trial. JSON: ``{"trials": [...], "importance": {...}}``.

    The importance always rests on every finished trial, ``--best`` or not. ``--best`` with no
    trial that has a loss exports no trial, says so on stderr, and exits 0.
    """
    from hypermax.best import best_trial
    from hypermax.export import export_json, trials_csv

    every = _load_trials(args.results_dir)
    finished = [t for t in every if t.state.finished]
    trials = finished
    if args.best:
        best = best_trial(trials)
        trials = [best] if best else []
        if best is None:  # the header alone (or no trials) on stdout, and why on stderr
            print("hypermax: no trial has a loss yet: --best exports none", file=sys.stderr)
    if args.format == "json":
        from hypermax.analysis import scored_trials
        from hypermax.importance import param_importance

        importance = param_importance(scored_trials(finished)).to_dict()
        write_out(export_json(trials, importance), "export")
    else:
        # the columns of every trial's params, whether a trial has a row (ended, the best) or not
        # in the order of the space's params, each with its column (an empty search's too)
        params = frozen_param_names(ResultsFolder(Path(args.results_dir)).spec)
        write_out(trials_csv(trials, others=every, params=params), "export", utf8=True)
    return EXIT_OK
