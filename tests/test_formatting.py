"""hypermax.ui.formatting: one way to write losses, values and params, for dashboard and console."""

from __future__ import annotations

import doctest

from hypermax.ui import console, formatting
from hypermax.ui.formatting import format_loss, format_params, format_value, trials_text

PARAMS = {"opt": {"lr": 0.000123456, "name": "adam"}, "layers": [{"units": 64}], "bn": True}


def test_console_params_are_exact_json_under_flat_names():
    assert format_params(PARAMS) == (
        'opt.lr=0.000123456, opt.name="adam", layers.0.units=64, bn=true'
    )


def test_dashboard_params_are_short_and_two_spaces_apart():
    assert format_params(PARAMS, None, short=True) == (
        "opt.lr=0.0001235  opt.name=adam  layers.0.units=64  bn=true"
    )


def test_params_are_cut_to_the_limit():
    text = format_params({"name": "x" * 300}, 100)
    assert len(text) == 100 and text.endswith("...") and text.startswith('name="xxx')
    assert format_params({"name": "x" * 300}, None).endswith('x"')


def test_values_and_losses():
    assert [format_value(v) for v in (None, False, 3, 0.123456, "sgd", [1, 2])] == [
        "null",
        "false",
        "3",
        "0.1235",
        "sgd",
        "[1, 2]",
    ]
    assert (format_loss(None), format_loss(0.1234567891)) == ("-", "0.123457")
    assert (trials_text(1), trials_text(2)) == ("1 trial", "2 trials")


def test_the_console_writes_with_the_same_functions():
    # `hypermax show` imports these from the console module
    assert console.format_params is format_params and console.format_loss is format_loss
    assert console.trials_text is trials_text


def test_the_documented_examples_hold():
    assert doctest.testmod(formatting).failed == 0


def test_the_short_name_of_an_array_item_names_its_array():
    """``layers.0`` was shown as ``0`` in the table, the running trials and the ranking."""
    from hypermax.ui.formatting import short_names

    names = ["layers.0", "layers.1", "model.blocks.0.units", "model.blocks.1.units", "opt.lr"]
    assert short_names(names) == {
        "layers.0": "layers.0",
        "layers.1": "layers.1",
        "model.blocks.0.units": "blocks.0.units",
        "model.blocks.1.units": "blocks.1.units",
        "opt.lr": "lr",
    }


def test_short_names_of_thousands_of_params_compare_no_two_names():
    """Each name was compared with every other one: seconds at each redraw of the dashboard
    for a list of thousands of params, which held its drawing and keys still."""
    from hypermax.ui.formatting import short_names

    compared: list[str] = []

    class Name(str):  # its comparisons with another name counted
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            compared.append(self)
            return str.__eq__(self, other)

        def __ne__(self, other: object) -> bool:
            compared.append(self)
            return str.__ne__(self, other)

    given = [f"mask.{i}" for i in range(1000)] + ["opt.lr", "lr", "model.opt.lr"]
    names = [Name(name) for name in given]
    short = short_names(names)
    assert len(compared) < len(names)  # a million before: each with every other one
    assert short["mask.7"] == "mask.7" and short["opt.lr"] == "opt.lr" and short["lr"] == "lr"
    assert short["model.opt.lr"] == "model.opt.lr"
