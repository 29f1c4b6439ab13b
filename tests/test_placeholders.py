"""A ``{name}`` in an executable's command that names no param is a spec error, not text that
reaches every trial as written."""

from __future__ import annotations

import json

import pytest

from hypermax.cli import main

SPACE = {
    "type": "object",
    "properties": {
        "lr": {"type": "number", "min": 0.001, "max": 1},
        "layers": {
            "type": "array",
            "items": {"type": "object", "properties": {"units": {"enum": [16, 32]}}},
            "minItems": 1,
            "maxItems": 3,
        },
        "pair": {"type": "array", "items": [{"constant": 1}, {"enum": [1, 2]}]},
        "opt": {
            "anyOf": [
                {"type": "object", "properties": {"kind": {"constant": "sgd"}}},
                {
                    "type": "object",
                    "properties": {
                        "kind": {"constant": "adam"},
                        "beta": {"type": "number", "min": 0.8, "max": 0.99},
                    },
                },
            ]
        },
        "config": {"enum": [{"depth": 2}, {"depth": 3, "width": 8}]},
    },
}


def validate(tmp_path, monkeypatch, capsys, command) -> tuple[int, list[str]]:
    spec = {"hyperparameters": SPACE, "function": {"type": "executable", "command": command}}
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "search.json"])
    return code, capsys.readouterr().err.strip().splitlines()


def test_every_name_a_trial_fills_in_is_accepted(tmp_path, monkeypatch, capsys):
    names = ["lr", "layers.2.units", "layers", "pair.1", "opt.kind", "opt.beta", "opt"]
    names += ["config", "config.width", "trial_id"]
    command = ["echo", *(f"--{n}={{{n}}}" for n in names)]
    command += ["${HOME}", '{"json": 1}', "{}", "{ lr }"]  # not placeholders
    code, err = validate(tmp_path, monkeypatch, capsys, command)
    assert (code, err) == (0, [])


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (["echo", "-x", "{lrr}"], "function.command.2: {lrr} names no param (did you mean {lr}?)"),
        (
            ["echo", "{layers.1.unit}"],
            "function.command.1: {layers.1.unit} names no param (did you mean {layers.0.units}?)",
        ),
        (
            ["echo", "{pair.2}"],
            "function.command.1: {pair.2} names no param (did you mean {pair.1}?)",
        ),
        (  # past the longest list (maxItems 3): it was left out of every trial, silently
            ["echo", "{layers.3.units}"],
            "function.command.1: {layers.3.units} names no param (layers has at most 3 items)",
        ),
        (  # a format, as str.format takes it: every trial got the text "--lr={lr:.2e}"
            ["echo", "--lr={lr:.2e}"],
            "function.command.1: {lr:.2e} would reach the program as written: a placeholder "
            "takes no format; write {lr} (the value in full) and format it there",
        ),
        (
            ["echo", "{trial_id!r}"],
            "function.command.1: {trial_id!r} would reach the program as written: a "
            "placeholder takes no format; write {trial_id} (the value in full) and format it "
            "there",
        ),
        (
            "echo --seed {seed}",
            "function.command: {seed} names no param "
            "(params: config, layers, layers.0.units, lr, opt, opt.beta, ...; or {trial_id})",
        ),
    ],
)
def test_a_placeholder_that_names_no_param_is_refused(
    tmp_path, monkeypatch, capsys, command, error
):
    code, err = validate(tmp_path, monkeypatch, capsys, command)
    assert code == 2
    assert err == [f"search.json: {error}"]


def test_a_param_named_like_the_trial_s_id_cannot_be_a_placeholder(tmp_path, monkeypatch, capsys):
    """{trial_id} was filled in with the trial's id, and the param of that name never reached
    the command: one of them must be renamed. A command without it may have such a param."""
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "trial_id=5:9", "--metric", "loss", "--save-spec", "search.json"]
    assert main([*argv, "--", "echo", "{trial_id}"]) == 2
    assert capsys.readouterr().err == (
        "hypermax quick: the command: {trial_id} names the trial's id and the param trial_id: "
        "rename it\n"
    )
    assert main([*argv, "--", "echo", "{trial_id}.txt"]) == 2
    assert main([*argv, "--", "echo", "trial_id"]) == 0


def test_params_whose_variables_would_be_one_are_refused(tmp_path, monkeypatch, capsys):
    """``a.b``, ``a_b`` and ``A_B`` are all ``HYPERMAX_PARAM_A_B``: the trial would read one
    param's value for each. A list's items and a conditional's branches are no such case."""
    space = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"enum": [1]}}},
            "a_b": {"enum": [2]},
            "A_B": {"enum": [3]},
            "layers": SPACE["properties"]["layers"],
            "layers_2_units": {"enum": [4]},
            "opt": SPACE["properties"]["opt"],
        },
    }
    spec = {"hyperparameters": space, "function": {"type": "executable", "command": ["true"]}}
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.json"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "search.json: hyperparameters: the params a.b, a_b and A_B would share the variable "
        "HYPERMAX_PARAM_A_B of an executable's trial: rename one",
        "search.json: hyperparameters: the params layers.2.units and layers_2_units would share "
        "the variable HYPERMAX_PARAM_LAYERS_2_UNITS of an executable's trial: rename one",
    ]


def test_an_argument_for_a_param_the_trial_does_not_have_is_left_out(tmp_path):
    """A conditional branch not taken, an item past a list's length: the argument that would
    pass it is left out, and the program's own default applies."""
    from hypermax.execution.spawn import trial_argv
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    command = ("train", "--kind={opt.kind}", "--beta={opt.beta}", "{layers.1.units}", "{lr}")
    function = FunctionSpec(type="executable", command=command)
    params = {"lr": 0.5, "layers": [{"units": 16}], "opt": {"kind": "sgd"}}
    argv = trial_argv(function, tmp_path, Proposal(1, params, {}))
    assert argv == ["train", "--kind=sgd", "0.5"]
    params = {
        "lr": 0.5,
        "layers": [{"units": 16}, {"units": 32}],
        "opt": {"kind": "adam", "beta": 0.9},
    }
    argv = trial_argv(function, tmp_path, Proposal(2, params, {}))
    assert argv == ["train", "--kind=adam", "--beta=0.9", "32", "0.5"]


def test_an_option_whose_value_is_left_out_is_left_out_with_it(tmp_path):
    """``--beta {opt.beta}`` as two arguments: without the param, neither reaches the program,
    which would otherwise take the next argument (or nothing) as the option's value."""
    from hypermax.execution.spawn import trial_argv
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    command = ("train", "--beta", "{opt.beta}", "-u", "{layers.1.units}", "--fast", "{lr}")
    command += ("-1", "{layers.2.units}", "--", "{opt.beta}")
    function = FunctionSpec(type="executable", command=command)
    params = {"lr": 0.5, "layers": [{"units": 16}], "opt": {"kind": "sgd"}}
    argv = trial_argv(function, tmp_path, Proposal(1, params, {}))
    assert argv == ["train", "--fast", "0.5", "-1", "--"]
    params = {
        "lr": 0.5,
        "layers": [{"units": 16}, {"units": 32}, {"units": 16}],
        "opt": {"kind": "adam", "beta": 0.9},
    }
    argv = trial_argv(function, tmp_path, Proposal(2, params, {}))
    assert argv == ["train", "--beta", "0.9", "-u", "32", "--fast", "0.5", "-1", "16", "--", "0.9"]


def test_a_flag_before_an_option_left_out_with_its_value_stays(tmp_path):
    """``--fast --beta={opt.beta}``: without the param, --fast was left out too, taken for an
    option whose value the missing argument was."""
    from hypermax.execution.spawn import trial_argv
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    command = ("train", "--fast", "--beta={opt.beta}", "-v", "-b{opt.beta}", "--shift", "-{n}")
    function = FunctionSpec(type="executable", command=command)
    argv = trial_argv(function, tmp_path, Proposal(1, {"opt": {"kind": "sgd"}}, {}))
    assert argv == ["train", "--fast", "-v"]  # --shift went with its value, -{n}
    params = {"opt": {"kind": "adam", "beta": 0.9}, "n": 2}
    argv = trial_argv(function, tmp_path, Proposal(2, params, {}))
    assert argv == ["train", "--fast", "--beta=0.9", "-v", "-b0.9", "--shift", "-2"]


def test_a_shell_variable_and_braces_in_a_value_are_left_as_written(tmp_path):
    """``${lr}`` is the shell's variable in ``sh -c "..."``, not the param; a param whose value
    holds ``{lr}`` is passed as it is, not filled in again."""
    from hypermax.execution.spawn import trial_argv
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    command = ("sh", "-c", 'lr=1; echo "${lr}" {lr}', "{name}-{lr}")
    function = FunctionSpec(type="executable", command=command)
    argv = trial_argv(function, tmp_path, Proposal(1, {"lr": 0.5, "name": "run{lr}"}, {}))
    assert argv == ["sh", "-c", 'lr=1; echo "${lr}" 0.5', "run{lr}-0.5"]


def test_a_param_whose_name_a_placeholder_could_not_hold_is_filled_in_too(tmp_path):
    """``{learning-rate}``, ``{batch size}``: params may be named so, and their placeholders
    reached every trial as written, the program parsing the text as the value; JSON and
    ``awk '{print NR}'`` name no param, and stay as written."""
    from hypermax.execution.spawn import trial_argv
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    command = ("train", "--lr={learning-rate}", "{batch size}", '{"a": 1}', "{print NR}")
    function = FunctionSpec(type="executable", command=command)
    params = {"learning-rate": 0.5, "batch size": 32}
    argv = trial_argv(function, tmp_path, Proposal(1, params, {}))
    assert argv == ["train", "--lr=0.5", "32", '{"a": 1}', "{print NR}"]


def test_a_param_a_trial_may_not_have_whose_name_a_placeholder_could_not_hold_is_refused(
    tmp_path, monkeypatch, capsys
):
    """Without the param, its argument could not be left out (only a name of letters, digits,
    ``_`` and ``.`` is surely a placeholder): the text ``{opt-beta}`` would reach the program."""
    space = {
        "type": "object",
        "properties": {
            "learning-rate": {"type": "number", "min": 0.001, "max": 1},
            "opt": {
                "anyOf": [
                    {"type": "object", "properties": {"kind": {"constant": "sgd"}}},
                    {"type": "object", "properties": {"beta-1": {"enum": [0.9, 0.99]}}},
                ]
            },
            "layers": {
                "type": "array",
                "items": {"type": "object", "properties": {"unit count": {"enum": [16, 32]}}},
                "minItems": 1,
                "maxItems": 3,
            },
        },
    }
    command = ["echo", "--lr={learning-rate}", "--beta={opt.beta-1}", "{layers.1.unit count}"]
    spec = {"hyperparameters": space, "function": {"type": "executable", "command": command}}
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.json"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    why = (
        "names a param that a trial may not have, whose argument would then reach it as written:"
        ' name the param with letters, digits, "_" and "." only, and its argument is left out'
        " when the trial does not have it"
    )
    assert errors == [
        f"search.json: function.command.2: {{opt.beta-1}} {why}",
        f"search.json: function.command.3: {{layers.1.unit count}} {why}",
    ]
