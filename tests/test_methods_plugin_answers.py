"""A plugin optimizer whose ask answers something the search cannot run ends the search with one
line naming the optimizer and what it answered, instead of hanging or running it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import finished_records, quadratic, run_cli

from hypermax.optimizers import BaseOptimizer
from hypermax.proposals import ProposalError, Proposals
from hypermax.space import Space
from hypermax.trial import Proposal, Trial

SPACE = {
    "type": "object",
    "properties": {"x": {"type": "number", "min": 0, "max": 1}, "k": {"enum": ["a", "b"]}},
}


class Answers(BaseOptimizer):
    """Answers every ask with ``options["answer"](self, trial_id)``."""

    def ask(self, trial_id: int) -> Any:
        return self.options["answer"](self, trial_id)

    def tell(self, trial: Trial) -> None:
        pass


def proposal(optimizer: BaseOptimizer, trial_id: int, internal: dict[str, Any]) -> Proposal:
    return Proposal(trial_id, optimizer.space.decode(internal), internal)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda opt, i: None, "answered ask(1) with None: ask returns a Proposal, WAIT or"),
        (lambda opt, i: {"x": 0.2, "k": "a"}, "answered ask(1) with {'x': 0.2, 'k': 'a'}"),
        (
            lambda opt, i: proposal(opt, i + 1, {"x": 0.1, "k": 0}),
            "proposed trial 2 when asked for trial 1",
        ),
        (
            lambda opt, i: Proposal(i, {"x": 7.5, "k": "a"}, {"x": 7.5, "k": 0}),
            "proposed params the space cannot produce for trial 1: x: 7.5 is outside [0.0, 1.0]",
        ),
        (
            lambda opt, i: Proposal(i, {"x": 0.5, "k": "z"}, {"x": 0.5, "k": 0}),
            'for trial 1: k: "z" is not one of ["a", "b"]',
        ),
        (
            lambda opt, i: Proposal(i, {"x": 0.5, "k": "a"}, {"x": 0.9, "k": 0}),
            'that its internal values do not decode to: {"x": 0.5, "k": "a"}, decoded {"x": 0.9',
        ),
        (
            lambda opt, i: Proposal(i, {"x": 0.5, "k": "a"}, {"y": 0.5}),
            'internal values the space cannot decode for trial 1: {"y": 0.5}: KeyError',
        ),
    ],
    ids=[
        "none",
        "a-dict",
        "another-id",
        "number-outside",
        "not-an-option",
        "params-not-internal",
        "internal-undecodable",
    ],
)
def test_an_answer_the_search_cannot_run_is_an_error_naming_the_optimizer(
    answer: Any, message: str
) -> None:
    optimizer = Answers(Space(SPACE), 1, {"answer": answer})
    proposals = Proposals(optimizer, note=lambda line: None)
    with pytest.raises(ProposalError) as raised:
        proposals.next()
    text = str(raised.value)
    assert text.startswith(f"hypermax: the optimizer {__name__}:Answers ")
    assert message in text
    assert "\n" not in text


def test_a_proposal_in_the_space_is_run() -> None:
    optimizer = Answers(
        Space(SPACE), 1, {"answer": lambda opt, i: proposal(opt, i, {"x": 0.25, "k": 1})}
    )
    got = Proposals(optimizer, note=lambda line: None).next()
    assert got is not None and got.params == {"x": 0.25, "k": "b"}


def test_numpy_numbers_in_a_proposal_run_as_the_python_numbers_they_hold() -> None:
    """A plugin drawing with numpy: its numbers used to reach the journal, which could not
    write them (the search crashed, the trial's start unrecorded), or were refused as params."""
    np = pytest.importorskip("numpy")

    def numpy_values(opt: BaseOptimizer, trial_id: int) -> Proposal:
        internal = {"x": np.float32(0.25), "k": np.int64(1)}
        return Proposal(trial_id, {"x": np.float32(0.25), "k": "b"}, internal)

    optimizer = Answers(Space(SPACE), 1, {"answer": numpy_values})
    got = Proposals(optimizer, note=lambda line: None).next()
    assert got is not None
    assert json.dumps([got.params, got.internal]) == '[{"x": 0.25, "k": "b"}, {"x": 0.25, "k": 1}]'
    assert type(got.params["x"]) is float and type(got.internal["k"]) is int


def _plugin_search(folder: Path, name: str, method: str) -> None:
    """``folder/search.json``: 3 trials over one number, proposed by the plugin ``method``."""
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": quadratic(),
        "search": {"name": name, "method": method, "iterations": 3},
        "results": {"directory": str(folder / "results")},
    }
    (folder / "search.json").write_text(json.dumps(doc))


def test_a_plugin_that_answers_none_ends_the_run_with_one_line(tmp_path: Path) -> None:
    """It used to leave the search waiting for ever with nothing running."""
    (tmp_path / "plugin.py").write_text(
        textwrap.dedent(
            """
            from hypermax.optimizers import BaseOptimizer

            class Nothing(BaseOptimizer):
                def ask(self, trial_id):
                    return None

                def tell(self, trial):
                    pass
            """
        )
    )
    _plugin_search(tmp_path, "nothing", "plugin:Nothing")
    done = run_cli("run", "--no-ui", "search.json", cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "hypermax: the optimizer plugin:Nothing answered ask(1) with None: "
        "ask returns a Proposal, WAIT or EXHAUSTED"
    )
    assert "Traceback" not in done.stderr


def test_a_plugin_that_calls_sys_exit_in_ask_is_an_unexpected_error(tmp_path: Path) -> None:
    """hypermax (run, and sample) ended with the plugin's exit code, without a word."""
    (tmp_path / "plugin.py").write_text(
        textwrap.dedent(
            """
            import sys

            from hypermax.optimizers import BaseOptimizer
            from hypermax.trial import Proposal

            class GivesUp(BaseOptimizer):
                def ask(self, trial_id):
                    if trial_id == 2:
                        sys.exit(5)
                    return Proposal(trial_id, {"x": 0.5}, {"x": 0.5})

                def tell(self, trial):
                    pass
            """
        )
    )
    _plugin_search(tmp_path, "exits", "plugin:GivesUp")
    done = run_cli("run", "--no-ui", "search.json", cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("hypermax: unexpected error: SystemExit: 5 (traceback in ")
    )
    states = [r["state"] for r in finished_records(tmp_path / "results" / "exits").values()]
    assert states == ["ok"]
    sampled = run_cli("sample", "search.json", "-n", "2", cwd=tmp_path, timeout=60)
    assert sampled.returncode == 1  # the next trial is the second: asked, it exits
    assert "hypermax: unexpected error: SystemExit: 5 (traceback in " in sampled.stderr


def test_a_keyboard_interrupt_a_plugin_raises_in_tell_is_its_error_not_ctrl_c(
    tmp_path: Path,
) -> None:
    """The plugin's tell runs in a thread of its own, which Ctrl-C never reaches: the
    KeyboardInterrupt it raised ended the search as interrupted (exit 130, "hypermax:
    interrupted"), as if the user had pressed Ctrl-C. It is an error of the optimizer, as any
    other exception of its tell is."""
    (tmp_path / "plugin.py").write_text(
        textwrap.dedent(
            """
            from hypermax.optimizers import BaseOptimizer
            from hypermax.trial import Proposal

            class GivesUp(BaseOptimizer):
                def ask(self, trial_id):
                    return Proposal(trial_id, {"x": 0.5}, {"x": 0.5})

                def tell(self, trial):
                    if trial.id == 2:
                        raise KeyboardInterrupt("no more")
            """
        )
    )
    _plugin_search(tmp_path, "interrupts", "plugin:GivesUp")
    done = run_cli("run", "--no-ui", "search.json", cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "hypermax: unexpected error: OptimizerRaised: KeyboardInterrupt in tell(2): no more "
            "(traceback in "
        )
    )
    assert "interrupted" not in done.stderr
    states = [r["state"] for r in finished_records(tmp_path / "results" / "interrupts").values()]
    assert states == ["ok", "ok"]
    log = (tmp_path / "results" / "interrupts" / "logs" / "hypermax.log").read_text()
    assert 'raise KeyboardInterrupt("no more")' in log


def test_a_plugin_that_refuses_its_options_is_a_spec_error_in_one_line(tmp_path: Path) -> None:
    """A ValueError raised in ``setup`` refuses the plugin's options as a built-in method's are
    refused: one line at ``search.<module:Class>``, exit 2, from ``validate`` too. It was an
    unexpected error (exit 1, its traceback in the log), which ``validate`` said nothing of."""
    (tmp_path / "plugin.py").write_text(
        textwrap.dedent(
            """
            from hypermax.optimizers import BaseOptimizer
            from hypermax.trial import Proposal

            class Steps(BaseOptimizer):
                def setup(self):
                    if self.options.get("step", 0.1) <= 0:
                        raise ValueError(f"step must be positive, got {self.options['step']}")

                def ask(self, trial_id):
                    return Proposal(trial_id, {"x": 0.5}, {"x": 0.5})

                def tell(self, trial):
                    pass
            """
        )
    )
    _plugin_search(tmp_path, "steps", "plugin:Steps")
    doc = json.loads((tmp_path / "search.json").read_text())
    doc["search"]["plugin:Steps"] = {"step": -1}
    (tmp_path / "search.json").write_text(json.dumps(doc))
    line = "search.json: search.plugin:Steps: step must be positive, got -1\n"
    for args in (["validate"], ["run", "--no-ui"]):
        done = run_cli(*args, "search.json", cwd=tmp_path, timeout=60)
        assert (done.returncode, done.stderr) == (2, line), args
    doc["search"]["plugin:Steps"] = {"step": 0.2}  # fixed, the search runs in its folder
    (tmp_path / "search.json").write_text(json.dumps(doc))
    done = run_cli("run", "--no-ui", "search.json", cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(finished_records(tmp_path / "results" / "steps")) == 3
