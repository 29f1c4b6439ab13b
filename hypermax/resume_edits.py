"""What resuming a search does with the parts of its spec edited since it last ran, said in
one line each: another method or its options ask from now on, another seed or warm start is not
used, an objective's file edited, another early-stopping rule judges the coming reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypermax.errors import shown_file
from hypermax.results import (
    SPEC_CODE,
    SPEC_RAN,
    ResultsFolder,
    is_frozen_spec,
    read_text_of,
)
from hypermax.results.code import code_digest
from hypermax.spec import Spec

__all__ = ["edits_since_start"]


def edits_since_start(
    folder: Path,
    spec: Spec,
    fresh_hint: str = "--fresh",
    path_name: Callable[[str], str] = str,
) -> list[str]:
    """What resuming the search in ``folder`` does with the parts of ``spec`` edited since it
    started, one line each: another method asks from now on; another seed is not used (the
    search keeps its own), nor another ``warm_start`` once trials ran (a search learns from its
    warm start before its first trial); the objective's file edited is said. Nothing when
    ``folder`` holds no search of this spec. Each line names a spec path as ``path_name`` gives
    it (``hypermax quick``: ``--method`` for ``search.method``), and a fresh start as
    ``fresh_hint``."""
    import json

    from hypermax.journal_records import holds_trials, read_header

    results = ResultsFolder(folder)
    header = read_header(results.journal)
    if header is None or not spec.makes(header.get("spec_hash")):
        return []
    try:
        doc = json.loads(read_text_of(results.spec))
        # what the search last ran with; a folder an older hypermax froze: its search section
        ran = doc[SPEC_RAN] if isinstance(doc.get(SPEC_RAN), dict) else doc["search"]
        was, was_warm = ran["method"], ran.get("warm_start")
        was_stopping = ran.get("early_stopping") or {}
        was_options = ran.get(was) or {} if isinstance(was, str) else None
        was_code = doc.get(SPEC_CODE)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        was = was_warm = was_stopping = was_options = was_code = None
    # the frozen spec itself (hypermax resume) is the file its edits are in
    frozen = is_frozen_spec(spec.raw, spec.path)
    name = shown_file(results.spec if frozen else spec.path)
    lines = []
    method = spec.search.method
    if isinstance(was, str) and was != method:
        lines.append(
            f"{name}: {path_name('search.method')}: {method} asks from now on (it was {was}), "
            "taught the trials done"
        )
    elif isinstance(was_options, dict) and was_options != spec.search.options:
        lines.append(_options_edit(name, method, was_options, spec.search.options))
    seed, kept = spec.search.seed, header.get("seed")
    if seed is not None and isinstance(kept, int) and seed != kept:
        lines.append(
            f"{name}: {path_name('search.seed')}: {seed} is not used: a resumed search keeps the "
            f"seed it started with ({kept})"
        )
    warm = spec.search.warm_start
    if warm is not None and warm != was_warm and holds_trials(results.journal):
        lines.append(
            f"{name}: {path_name('search.warm_start')}: {warm} is not used: a search learns from"
            " its warm start before its first trial, and this one has run trials"
        )
    code = code_digest(spec.raw.get("function"), spec.folder)
    if isinstance(was_code, dict) and code is not None and was_code.get("sha256") != code["sha256"]:
        key = next(key for key in code if key != "sha256")
        lines.append(
            f"{name}: {path_name('function.' + key)}: {code[key]} changed since the search last"
            " ran: its trials before ran the earlier code"
            + ("" if frozen else f" ({fresh_hint} starts anew)")
        )
    stopping = _stopping_edit(spec, was_stopping, name, lambda: _stopped_before(results.journal))
    if stopping is not None:
        lines.append(stopping)
    return lines


def _options_edit(name: str, method: str, was: dict[str, Any], now: dict[str, Any]) -> str:
    """``search.tpe: n_startup_jobs 2 (it was 10) from now on``: the options of the method,
    the same as the search last ran with, edited since."""
    from hypermax.values import json_text

    def shown(options: dict[str, Any], key: str) -> str:
        return json_text(options[key]) if key in options else "the default"

    changed = ", ".join(
        f"{key} {shown(now, key)} (it was {shown(was, key)})"
        for key in sorted(set(was) | set(now))
        if json_text(was.get(key)) != json_text(now.get(key)) or (key in was) != (key in now)
    )
    return f"{name}: search.{method}: {changed} from now on"


def _stopped_before(journal: Path) -> bool:
    """Whether the journal holds a trial stopped early (by the rule of any earlier run); True
    when it cannot be read (the run that follows says why)."""
    from hypermax.errors import ResultsError
    from hypermax.journal_records import open_journal, parse_line

    try:
        with open_journal(journal) as file:
            for raw in file:
                if b'"stopped"' not in raw:  # most lines: not parsed
                    continue
                record = parse_line(raw) or {}
                if (record.get("event"), record.get("state")) == ("trial_finished", "stopped"):
                    return True
    except (OSError, ResultsError):
        return True
    return False


def _stopping_edit(
    spec: Spec, frozen: Any, name: str, stopped_before: Callable[[], bool]
) -> str | None:
    """What resuming does with ``search.early_stopping`` edited since the search's last run
    (``frozen``: that run's section), said of the file ``name``: the new rule judges the coming
    reports, against the finished trials' reports, and the trials stopped before (by this rule
    or that of an earlier run: ``stopped_before`` says whether there are any) stay stopped.
    None when the rule is the same (or the frozen one cannot be read)."""
    from dataclasses import fields

    from hypermax.stopping import EarlyStopping

    try:
        was = EarlyStopping.of(frozen)
    except (TypeError, ValueError, AttributeError):
        return None
    now = EarlyStopping.of(spec.search.early_stopping)
    if was.policy == now.policy == "none" or was == now:
        return None
    head = f"{name}: search.early_stopping:"
    # a policy of none may follow one that stopped trials: the journal says whether any were
    kept = "; the trials stopped before stay stopped" if stopped_before() else ""
    if now.policy == "none":
        return f"{head} none from now on (it was {was.policy}): no trial is stopped{kept}"
    if was.policy != now.policy:
        return (
            f"{head} {now.policy} judges the reports from now on (it was {was.policy}), against "
            f"those of the trials done{kept}"
        )
    changed = ", ".join(
        f"{f.name} {getattr(now, f.name)} (it was {getattr(was, f.name)})"
        for f in fields(now)
        if getattr(now, f.name) != getattr(was, f.name)
    )
    return f"{head} {now.policy} judges with {changed} from now on{kept}"


def keep_search_name(folder: Path, spec: Spec) -> tuple[Spec, str | None]:
    """``spec`` with the name the search in ``folder`` started with (its journal's header keeps
    it), and the line that says so, when ``spec`` resumes that search under another
    ``search.name`` (``hypermax SPEC RESULTS_DIR``: a spec of another name, run on the folder
    named): the search is the folder's, under the name every line of its history gives it.
    ``spec`` itself, and None, otherwise."""
    from dataclasses import replace

    from hypermax.journal_records import read_header

    header = read_header(ResultsFolder(folder).journal)
    if header is None or not spec.makes(header.get("spec_hash")):
        return spec, None
    kept, name = header.get("name"), spec.search.name
    if not isinstance(kept, str) or not kept or kept == name:
        return spec, None
    raw = {**spec.raw, "search": {**spec.raw["search"], "name": kept}}
    kept_spec = replace(spec, raw=raw, search=replace(spec.search, name=kept))
    shown = shown_file(
        ResultsFolder(folder).spec if is_frozen_spec(spec.raw, spec.path) else spec.path
    )
    said = (
        f"{shown}: search.name: {name} is not used: a resumed search keeps the name it started"
        f" with ({kept})"
    )
    return kept_spec, said
