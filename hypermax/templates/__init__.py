"""Bundled templates: a search space for a known model, and an objective that runs it.

``NAME.json`` holds a one-line ``summary``, the import names the objective ``requires``, and the
``hyperparameters`` (``"$ref": "template:NAME#/hyperparameters"`` points there); ``NAME.py`` is the
objective skeleton, which trains the model on a dataset that ships with scikit-learn. ``example``
is the README's example search, a whole spec. ``hypermax templates`` lists them and ``hypermax
init [NAME]`` writes ``search.json`` and ``objective.py`` from one into the current folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypermax.errors import EXIT_OK, UsageError, current_folder

__all__ = ["FOLDER", "Template", "cmd_init", "cmd_templates", "load_template", "templates"]

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


def templates() -> list[Template]:
    """Every bundled template, by name."""
    return [load_template(path.stem) for path in sorted(FOLDER.glob("*.json"))]


def load_template(name: str) -> Template:
    """The template ``name``; a UsageError naming the known ones when there is none."""
    path = FOLDER / f"{name}.json"
    if not name.replace("_", "").isalnum() or not path.is_file():
        known = ", ".join(t.stem for t in sorted(FOLDER.glob("*.json")))
        raise UsageError(f'hypermax init: no template "{name}" (templates: {known})')
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
