"""Whether the ``{name}`` placeholders of an executable's command name params.

A trial's command gets ``{name}`` replaced by the value of the param of that flat name
(``{lr}``, ``{layers.0.units}``), by the JSON of a top-level object or list param, or by the
trial's id (``{trial_id}``), and an argument with a placeholder of a param the trial does not
have (a branch it did not take) is left out; anything else in braces is passed on as written.
So a misspelt ``{lrr}`` would reach every trial's program as the text ``{lrr}``: it is refused
here instead, and so is a param's name with a format (``{lr:.4f}``), which no trial fills in.
Only braces around a name (letters, digits, ``_``, ``.``) count, and not ``${NAME}`` (a shell's
variable, in ``bash -c "..."``), so JSON and ``find -exec {}`` pass. Braces around the name of a
param that holds other characters (``{learning-rate}``) are filled in as well, when the trial
has that param.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hypermax.specfile.problems import JsonPath, Problem
from hypermax.specfile.sizes import list_lengths
from hypermax.specfile.walk import every_node
from hypermax.system_text import param_variable

#: a placeholder: ``{name}`` not preceded by ``$``
PLACEHOLDER = re.compile(r"(?<!\$)\{([\w.]+)\}")
#: braces around any text, not preceded by ``$``: a placeholder too when the text is the name of
#: a param the trial has, whatever it holds (``{learning-rate}``, ``{batch size}``)
NAMED = re.compile(r"(?<!\$)\{([^{}]+)\}")
#: braces around a name and a format, as Python's ``str.format`` takes them: ``{lr:.4f}``,
#: ``{lr!r}``; no placeholder, whatever the name
FORMATTED = re.compile(r"(?<!\$)\{([\w.]+)([:!][^{}]*)\}")
#: what every trial's command may name besides its params
TRIAL_NAMES = ("trial_id",)
#: stands for an item's index in the name of a param in a list of variable length, followed by
#: the list's longest length: ``layers.*4.units`` (an index below 4)
ANY_INDEX = "*"
#: how many names a problem lists
LISTED = 6


def placeholder_problems(function: dict[str, Any], space: dict[str, Any]) -> Iterator[Problem]:
    """A problem for each placeholder of ``function['command']`` that names no param of
    ``space`` (the spec's ``hyperparameters``): ``function.command[3]: {lrr} names no param
    (params: lr, momentum; or {trial_id})``."""
    import shlex  # here: a trial's command line is filled in with PLACEHOLDER alone

    command = function.get("command")
    if isinstance(command, str):
        try:
            parts: list[tuple[JsonPath, str]] = [
                (("function", "command"), part) for part in shlex.split(command)
            ]
        except ValueError:
            return  # the command's own problem says why
    elif isinstance(command, list):
        parts = [(("function", "command", i), part) for i, part in enumerate(command)]
    else:
        return
    names, open_ended = param_names(space)
    absent = _maybe_absent(space)
    for where, part in parts:
        for name in PLACEHOLDER.findall(part):
            if name in TRIAL_NAMES and name in names:  # the trial's id would take its place
                yield where, f"{{{name}}} names the trial's id and the param {name}: rename it"
            elif name not in TRIAL_NAMES and not _known(name, names, open_ended):
                yield where, f"{{{name}}} names no param ({_hint(name, names)})"
        for name, form in FORMATTED.findall(part):
            if name in TRIAL_NAMES or _known(name, names, open_ended):
                yield (
                    where,
                    f"{{{name}{form}}} would reach the program as written: a placeholder takes "
                    f"no format; write {{{name}}} (the value in full) and format it there",
                )
        for name in NAMED.findall(part):
            if not PLACEHOLDER.fullmatch(f"{{{name}}}") and _known(name, absent, set()):
                yield (
                    where,
                    (
                        f"{{{name}}} names a param that a trial may not have, whose argument would "
                        'then reach it as written: name the param with letters, digits, "_" and '
                        '"." only, and its argument is left out when the trial does not have it'
                    ),
                )


def variable_problems(space: dict[str, Any]) -> Iterator[Problem]:
    """Params whose ``HYPERMAX_PARAM_<NAME>`` variables are one (``a.b`` and ``a_b``): an
    executable's trial would find only one of their values there, under both names."""
    longest = {
        where: list_lengths(node)[1]
        for where, node in every_node(space, ())
        if node.get("type") == "array" and not isinstance(node.get("items"), list)
    }
    sharing: dict[str, dict[str, None]] = {}
    for where, node in every_node(space, ()):
        if any(key in node for key in ("properties", "anyOf", "oneOf", "items")):
            continue  # not a value of its own: its leaves have variables
        for name in _every_index(_flat_name(where, longest)):
            sharing.setdefault(param_variable(name), {})[name] = None
    for variable, names in sorted(sharing.items()):
        if len(names) > 1:
            *others, last = names
            yield (
                ("hyperparameters",),
                f"the params {', '.join(others)} and {last} would share the variable {variable} "
                "of an executable's trial: rename one",
            )


def _every_index(name: str) -> Iterator[str]:
    """``layers.*2.units`` → ``layers.0.units``, ``layers.1.units``."""
    head, star, rest = name.partition(ANY_INDEX)
    if not star:
        yield name
        return
    count, _, tail = rest.partition(".")
    for index in range(int(count)):
        for end in _every_index(tail) if tail else [""]:
            yield f"{head}{index}" + (f".{end}" if tail else "")


def _hint(name: str, names: set[str]) -> str:
    import difflib

    wanted = name.split(".")
    for known in sorted(names):  # an index past the end of a list: say how long it gets
        pattern = known.split(".")
        if len(pattern) != len(wanted) or not all(
            p == w or (p.startswith(ANY_INDEX) and w.isdigit())
            for p, w in zip(pattern, wanted, strict=True)
        ):
            continue
        for at, (p, w) in enumerate(zip(pattern, wanted, strict=True)):
            if p != w and not _an_item(p, w):
                most = p[len(ANY_INDEX) :]
                items = "item" if most == "1" else "items"
                return f"{'.'.join(wanted[:at])} has at most {most} {items}"

    shown = sorted(re.sub(rf"\{ANY_INDEX}\d+", "0", known) for known in names)
    close = difflib.get_close_matches(name, shown, n=1)
    if close:
        return f"did you mean {{{close[0]}}}?"
    listed = ", ".join(shown[:LISTED]) + (", ..." if len(shown) > LISTED else "")
    return f"params: {listed}; or {{trial_id}}"


def param_names(space: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The flat names a trial's params may have (``*N`` for an index of a list of variable
    length of at most N items) and the top-level names (not :data:`TRIAL_NAMES`, unless a
    param is named so); and
    the names below which any name may be (an option or a constant that is itself an object or
    a list)."""
    names: set[str] = set()
    open_ended: set[str] = set()
    longest = {
        where: list_lengths(node)[1]
        for where, node in every_node(space, ())
        if node.get("type") == "array" and not isinstance(node.get("items"), list)
    }
    for where, node in every_node(space, ()):
        name = _flat_name(where, longest)
        if not name:
            continue
        if "properties" not in node and "anyOf" not in node and "oneOf" not in node:
            names.add(name)
        if len(where) == 2:
            names.add(name)  # a top-level object or list is given whole, as JSON
        values = node.get("enum", []) + [node[k] for k in ("constant", "const") if k in node]
        if any(isinstance(value, dict | list) for value in values):
            open_ended.add(name)
    return names, open_ended


def _maybe_absent(space: dict[str, Any]) -> set[str]:
    """The flat names of the params a trial may not have: of a conditional's branch, or an item
    of a list of variable length."""
    longest = {
        where: list_lengths(node)[1]
        for where, node in every_node(space, ())
        if node.get("type") == "array" and not isinstance(node.get("items"), list)
    }
    return {
        _flat_name(where, longest)
        for where, _ in every_node(space, ())
        if any(step in ("anyOf", "oneOf") for step in where)
        or any(where[:at] in longest for at, step in enumerate(where) if step == "items")
    }


def _flat_name(where: JsonPath, longest: dict[JsonPath, int]) -> str:
    """``('properties', 'layers', 'items', 'properties', 'units')`` → ``layers.*4.units``, where
    ``longest`` gives 4 as the most items of the list at ``('properties', 'layers')``."""
    parts: list[str] = []
    at = 0
    while at < len(where):
        step = where[at]
        following = where[at + 1] if at + 1 < len(where) else None
        if step == "properties" or (step == "items" and isinstance(following, int)):
            parts.append(str(following))
            at += 2
        elif step == "items":
            parts.append(f"{ANY_INDEX}{longest[where[:at]]}")
            at += 1
        else:  # anyOf / oneOf and the branch's index: the branch's params sit where it does
            at += 2
    return ".".join(parts)


def _known(name: str, names: set[str], open_ended: set[str]) -> bool:
    wanted = name.split(".")
    for known in names | open_ended:
        pattern = known.split(".")
        if len(pattern) > len(wanted):
            continue
        if len(pattern) < len(wanted) and known not in open_ended:
            continue
        pairs = zip(pattern, wanted[: len(pattern)], strict=True)
        if all(p == w or _an_item(p, w) for p, w in pairs):
            return True
    return False


def _an_item(pattern: str, index: str) -> bool:
    """Whether ``index`` is that of an item a list of variable length may have (``*4``: 0 to 3)."""
    if not pattern.startswith(ANY_INDEX) or not index.isdigit():
        return False
    return int(index) < int(pattern[len(ANY_INDEX) :])
