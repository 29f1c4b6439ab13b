"""Bundled templates: a search space for a known model, and an objective that runs it.

``NAME.json`` holds a one-line ``summary``, the import names the objective ``requires``, and the
``hyperparameters`` (``"$ref": "template:NAME#/hyperparameters"`` points there); ``NAME.py`` is the
objective skeleton, which trains the model on a dataset that ships with scikit-learn. ``example``
is the README's example search, a whole spec. ``hypermax templates`` lists them and ``hypermax
init [NAME]`` writes ``search.json`` and ``objective.py`` from one into the current folder.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypermax.errors import EXIT_OK, UsageError, current_folder
from hypermax.values import quoted

__all__ = [
    "FOLDER",
    "Template",
    "cmd_init",
    "cmd_templates",
    "load_template",
    "template_named",
    "template_names",
    "templates",
]

FOLDER = Path(__file__).parent
#: What ``hypermax init`` writes without a template name: the README's example search.
EXAMPLE = "example"
SPEC_FILE = "search.json"
OBJECTIVE_FILE = "objective.py"

#: How a template's objective runs, unless the template is a whole spec (as ``example`` is).
_FUNCTION = {
    "type": "python_function",
    "src": OBJECTIVE_FILE,
    "name": "train",
    "parallel": 2,
    "auto_kill_max_time": 300,
    "auto_kill_max_ram": 4096,
    "auto_kill_loss": 1.0,
    "env": {"OMP_NUM_THREADS": "1"},
}


@dataclass(frozen=True)
class Template:
    """One bundled template.

    Attributes:
        name: what ``template:NAME`` and ``hypermax init NAME`` call it.
        summary: one line for ``hypermax templates``.
        requires: the modules its objective imports (``sklearn``, ``lightgbm``).
        document: the template file as read (``summary``, ``requires``, ``hyperparameters``).
    """

    name: str
    summary: str
    requires: tuple[str, ...]
    document: dict[str, Any]

    def installed(self) -> bool:
        """Whether every module the objective imports can be imported here."""
        return not self.missing()

    def missing(self) -> tuple[str, ...]:
        """The modules the objective imports that cannot be imported here."""
        return tuple(m for m in self.requires if importlib.util.find_spec(m) is None)

    def spec(self) -> dict[str, Any]:
        """The ``search.json`` that ``hypermax init`` writes: space, objective, a TPE search."""
        if "function" in self.document:  # a whole spec: only the objective's file changes
            doc = json.loads(json.dumps(self.document))
            doc["function"]["src"] = OBJECTIVE_FILE
            return doc
        return {
            "hyperparameters": self.document["hyperparameters"],
            "function": dict(_FUNCTION),
            "search": {"name": self.name, "method": "tpe", "iterations": 50},
            "results": {"directory": "results"},
        }

    def objective(self) -> str:
        """The text of the objective skeleton."""
        return (FOLDER / f"{self.name}.py").read_text(encoding="utf-8")


def template_names() -> list[str]:
    """The names of the bundled templates (``hypermax init NAME``, ``template:NAME``)."""
    return sorted(path.stem for path in FOLDER.glob("*.json"))


def templates() -> list[Template]:
    """Every bundled template, by name."""
    return [load_template(name) for name in template_names()]


def template_named(asked: str) -> str | None:
    """The bundled template's name that ``asked`` means: itself, or the one name it matches
    when case is ignored (``LightGBM`` is ``lightgbm``); None when it means none."""
    names = template_names()
    if asked in names:
        return asked
    folded = [name for name in names if name.casefold() == asked.casefold()]
    return folded[0] if len(folded) == 1 else None


def unknown_template(asked: str) -> str:
    """``"lightgmb" (did you mean lightgbm? templates: ...)``: a name that means no template,
    with the one nearest it and every name there is."""
    names = template_names()
    near = difflib.get_close_matches(asked.casefold(), names, n=1, cutoff=0.75)
    hint = f"did you mean {near[0]}? " if near else ""
    return f"{quoted(asked)} ({hint}templates: {', '.join(names) or 'none'})"


def load_template(name: str) -> Template:
    """The template ``name`` (its case ignored when that names one); a UsageError naming the
    known ones when there is none."""
    found = template_named(name)
    if found is None:
        raise UsageError(f"hypermax init: no template {unknown_template(name)}")
    name = found
    path = FOLDER / f"{name}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if name == EXAMPLE:
        summary = "the README's example: scikit-learn HistGradientBoostingClassifier, AUC and time"
        return Template(name, summary, ("sklearn",), doc)
    return Template(name, doc["summary"], tuple(doc["requires"]), doc)


def cmd_templates(args: argparse.Namespace) -> int:
    """``hypermax templates``: one line per template; a note on those whose library is missing."""
    from hypermax.output import write_out

    found = templates()
    width = max(len(t.name) for t in found)
    lines = []
    for template in found:
        missing = template.missing()
        needs = f"  (needs {', '.join(_pip_names(missing))})" if missing else ""
        lines.append(f"{template.name:<{width}}  {template.summary}{needs}\n")
    write_out("".join(lines), "templates")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """``hypermax init [NAME]``: write search.json and objective.py here, never over a file."""
    template = load_template(EXAMPLE if args.template is None else args.template)
    folder = current_folder("hypermax init")
    targets = {folder / SPEC_FILE: json.dumps(template.spec(), indent=2) + "\n"}
    targets[folder / OBJECTIVE_FILE] = template.objective()
    for path in targets:
        if path.exists() or path.is_symlink():  # a link to a missing file is there too
            raise UsageError(f"hypermax init: {path.name} exists already; nothing was written")
    written: list[Path] = []
    try:
        for path, text in targets.items():
            with open(
                path, "x", encoding="utf-8"
            ) as f:  # never over a file, even one made meanwhile
                written.append(path)
                f.write(text)
    except OSError as exc:  # a read-only folder, a full disk: not half a template
        for done in written:
            done.unlink(missing_ok=True)
        raise UsageError(f"hypermax init: cannot write {path}: {exc.strerror or exc}") from None
    from hypermax.output import write_out

    lines = [f"wrote {SPEC_FILE} and {OBJECTIVE_FILE} ({template.name}); run: hypermax {SPEC_FILE}"]
    missing = template.missing()
    if missing:  # only what is not installed: pip would reinstall or upgrade the rest
        lines.append(f"the objective needs: pip install {' '.join(_pip_names(missing))}")
    write_out("".join(f"{line}\n" for line in lines), "init")
    return EXIT_OK


def _pip_names(modules: tuple[str, ...]) -> list[str]:
    return ["scikit-learn" if module == "sklearn" else module for module in modules]
