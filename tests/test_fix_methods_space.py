"""Numbers with a tiny ``rounding`` keep their value: a multiple of a step below 1e-12 was
rounded to 12 decimals (to clean float noise), which took it to 0, then to the range's end."""

from __future__ import annotations

from hypermax.space import Space


def test_a_step_below_1e_12_keeps_the_multiple_it_rounds_to():
    weight_decay = {"type": "number", "min": 1e-14, "max": 1e-12, "rounding": 1e-14}
    tiny = {"type": "number", "min": 1e-300, "max": 1e-299, "scaling": "logarithmic"}
    space = Space(
        {"type": "object", "properties": {"wd": weight_decay, "z": {**tiny, "rounding": 1e-301}}}
    )
    params = space.decode({"wd": 5.3e-13, "z": 7.300000000000001e-300})
    assert params == {"wd": 5.3e-13, "z": 7.3e-300}
    assert space.decode({"wd": 0.30000000000000004e-12, "z": 1e-300})["wd"] == 3e-13
    # the float noise of an everyday step is still cleaned
    step = Space(
        {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1, "rounding": 0.1}},
        }
    )
    assert step.decode({"x": 0.3})["x"] == 0.3
    assert step.decode({"x": 0.7})["x"] == 0.7


def test_optuna_methods_propose_tiny_steps_inside_the_range():
    from hypermax.optimizers import make_optimizer

    weight_decay = {"type": "number", "min": 1e-14, "max": 1e-12, "rounding": 1e-14}
    space = Space({"type": "object", "properties": {"wd": weight_decay}})
    optimizer = make_optimizer("tpe", space, 1)
    proposed = {optimizer.ask(trial_id).params["wd"] for trial_id in range(1, 6)}
    assert len(proposed) > 2 and all(1e-14 <= wd <= 1e-12 for wd in proposed)


def test_a_range_just_above_0_starts_at_its_first_multiple_above_0():
    """0 lies 1e-12 below such a ``min``: it is no value of the range, though less than a step
    from it (it was taken as the first multiple: trials got 1e-12, no multiple of 0.5, and a
    log scale's draws rounded to 0)."""
    from hypermax.optimizers import make_optimizer

    half = {"type": "number", "min": 1e-12, "max": 1, "rounding": 0.5}
    wide = {"type": "number", "min": 1e-12, "max": 1e12, "scaling": "logarithmic", "rounding": 1}
    space = Space({"type": "object", "properties": {"h": half, "w": wide}})
    assert space.decode({"h": 0.0, "w": 0.0}) == {"h": 0.5, "w": 1}
    for method in ("random", "tpe", "evolution"):
        optimizer = make_optimizer(method, space, 1)
        for trial_id in range(1, 9):
            proposal = optimizer.ask(trial_id)
            assert proposal.params["h"] in (0.5, 1.0), (method, proposal.params)
            assert space.encode(proposal.params) == proposal.internal, (method, proposal)


def test_the_midpoint_of_a_log_range_far_from_1_is_inside_it():
    """``sqrt(min * max)`` left the floats for such ranges: the leaves without a ``default``
    (beside one with), and an ablation study's, took an end of their range."""
    import math

    tiny = {"type": "number", "min": 1e-300, "max": 1e-290, "scaling": "logarithmic"}
    huge = {"type": "number", "min": 1e200, "max": 1e300, "scaling": "logarithmic"}
    given = {"type": "number", "min": 0, "max": 1, "default": 0.2}
    space = Space({"type": "object", "properties": {"tiny": tiny, "huge": huge, "x": given}})
    defaults = space.defaults()
    assert defaults is not None
    assert math.isclose(defaults["tiny"], 1e-295) and math.isclose(defaults["huge"], 1e250)
    plain = {"type": "number", "min": 1e-4, "max": 1, "scaling": "logarithmic"}
    assert Space({"type": "object", "properties": {"p": plain}}).root.default() == {"p": 0.01}
