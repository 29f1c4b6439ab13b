"""What a trial's return value becomes on its way to hypermax: written by the trial's bootstrap,
read back by hypermax."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from hypermax.execution import protocol


def read_back(value: object) -> dict | None:
    return protocol.normalise_result(json.loads(protocol.dump_json(value)))


def test_a_decimal_or_a_fraction_is_a_number():
    assert read_back(Decimal("0.125")) == {"loss": 0.125}
    assert read_back({"loss": Fraction(1, 8), "acc": Decimal("0.75")}) == {
        "loss": 0.125,
        "acc": 0.75,
    }


def test_a_fraction_past_the_largest_float_is_an_infinite_loss_as_an_int_or_a_decimal_is():
    # before: "the result is not a number or an object: "Fraction(1000...", 400 digits
    assert read_back(Fraction(10**400, 3)) == {"loss": float("inf")}
    assert read_back({"loss": Fraction(-(10**400), 3)}) == {"loss": float("-inf")}
    assert read_back(Decimal("1e400")) == {"loss": float("inf")}


def test_a_complex_number_is_not_one():
    assert read_back(complex(1, 2)) is None  # then the trial fails: not a number or an object
