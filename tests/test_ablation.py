"""Ablation studies through the real command line: the trials run, what each received, the table."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import journal_records, run_cli_here
from objectives.ablation_model import loss

from hypermax import events as ev
from hypermax.ablation_table import ablation_effects, ablation_lines
from hypermax.errors import SpecError
from hypermax.optimizers import EXHAUSTED, make_optimizer
from hypermax.optimizers.ablation import ABLATED, AblationOptimizer
from hypermax.space import EncodeError, Space
from hypermax.spec import load_spec, spec_from_dict
from hypermax.trial import Proposal, Trial, TrialState
from hypermax.ui.state import DashboardState
from hypermax.ui.view import DashboardView

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

OBJECTIVE = Path(__file__).parent / "objectives" / "ablation_model.py"
COMPONENTS = {"features": ["age", "income"], "layers": ["dense_2", "dropout_1"]}
PLANNED = [None] + [{"group": g, "name": n} for g, names in COMPONENTS.items() for n in names]


def study(noise: float, repeats: int, **search: Any) -> dict[str, Any]:
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {
                "lr": {"type": "number", "min": 0.001, "max": 0.1, "default": 0.01},
                "noise": {"constant": noise},
            },
        },
        "function": {"type": "python_function", "src": str(OBJECTIVE), "name": "train"},
        "search": {
            "name": "study",
            "method": "ablation",
            "seed": 3,
            "ablation": {"components": COMPONENTS, "repeats": repeats},
            **search,
        },
    }


def received(folder: Path) -> list[dict[str, Any]]:
    """The params each trial received, by trial id."""
    started = [r for r in journal_records(folder) if r["event"] == "trial_started"]
    out = []
    for record in sorted(started, key=lambda r: r["id"]):
        given = folder / "trials" / str(record["id"]) / "received.json"
        out.append(json.loads(given.read_text()))
    return out


def test_a_study_runs_the_baseline_and_each_component_left_out(
    tmp_path: Path, write_spec: Any
) -> None:
    spec = write_spec(study(noise=0.0, repeats=1))
    validated = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert "5 iterations, method ablation" in validated.stdout, validated.stderr
    result = run_cli_here(str(spec), "--no-ui", "--parallel", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    params = received(tmp_path / "results" / "study")
    assert [p[ABLATED] for p in params] == PLANNED  # the defaults ran first, as the baseline
    assert {p["seed"] for p in params} == {params[0]["seed"]}  # one repeat, one seed
    assert all(p["lr"] == 0.01 and p["noise"] == 0.0 for p in params)
    shown = run_cli_here("show", str(tmp_path / "results" / "study"), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-8:] == [
        "",
        "ablation study: loss change when a component is left out",
        "group     component  loss  change",
        "baseline             0.57",
        "features  age        0.67  +0.1",
        "features  income     0.87  +0.3",
        "layers    dense_2    0.62  +0.05",
        "layers    dropout_1  0.55  -0.02",
    ]


def test_repeats_run_with_a_seed_each_and_show_the_spread(tmp_path: Path, write_spec: Any) -> None:
    spec = write_spec(study(noise=0.01, repeats=3))
    result = run_cli_here(str(spec), "--no-ui", "--parallel", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    params = received(tmp_path / "results" / "study")
    assert [p[ABLATED] for p in params] == PLANNED * 3
    seeds = [p["seed"] for p in params]
    assert len(set(seeds)) == 3 and seeds == [s for s in seeds[::5] for _ in range(5)]
    rows = []
    for planned in PLANNED:
        losses = [loss(planned, seed, 0.01) for seed in seeds[::5]]
        changes = [
            value - loss(None, seed, 0.01) for value, seed in zip(losses, seeds[::5], strict=True)
        ]
        group, name = ("baseline", "") if planned is None else (planned["group"], planned["name"])
        change = "" if planned is None else f"{statistics.fmean(changes):+.6g}"
        spread = statistics.stdev(losses if planned is None else changes)
        rows.append([group, name, f"{statistics.fmean(losses):.6g}", change, f"±{spread:.3g}"])
    header = ["group", "component", "loss", "change", "spread"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    table = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    shown = run_cli_here("show", str(tmp_path / "results" / "study"), cwd=tmp_path)
    assert shown.stdout.splitlines()[-7:] == [
        "ablation study: loss change when a component is left out "
        "(mean of 3 repeats, ± standard deviation)",
        *table,
    ]


def test_a_stopped_study_resumes_with_the_trials_of_the_plan_not_yet_run(
    tmp_path: Path, write_spec: Any
) -> None:
    spec = write_spec(study(noise=0.0, repeats=1))
    first = run_cli_here(str(spec), "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    rest = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert rest.returncode == 0, rest.stderr
    assert [p[ABLATED] for p in received(tmp_path / "results" / "study")] == PLANNED


def test_the_optimizer_runs_its_plan_once_and_only_its_plan() -> None:
    space = Space(study(0.0, 1)["hyperparameters"])
    options = {"components": COMPONENTS, "repeats": 2}
    optimizer = make_optimizer("ablation", space, seed=1, options=options)
    assert isinstance(optimizer, AblationOptimizer)
    baseline = optimizer.propose(1, {"lr": 0.01, "noise": 0.0})
    assert baseline.params[ABLATED] is None
    with pytest.raises(EncodeError, match="runs the trials of its plan only"):
        optimizer.propose(2, {"lr": 0.02, "noise": 0.0})
    optimizer.pending(2, {"lr": 0.01, "@ablation": 3, "@repeat": 0})  # resumed, running
    asked = []
    while isinstance(answer := optimizer.ask(len(asked) + 3), Proposal):
        asked.append(answer.params[ABLATED])
    assert answer is EXHAUSTED
    assert asked == PLANNED[1:3] + PLANNED[4:] + PLANNED


def test_a_study_of_very_many_repeats_is_not_listed_before_its_first_trial() -> None:
    """The plan was a list of every trial: 10**9 repeats held the search (and ``sample``) for
    minutes before the first one, and 10**30 for ever."""
    space = Space(study(0.0, 1)["hyperparameters"])
    options = {"components": COMPONENTS, "repeats": 10**30}
    optimizer = make_optimizer("ablation", space, seed=1, options=options)
    asked = [optimizer.ask(trial_id) for trial_id in range(1, 8)]
    assert [a.params[ABLATED] for a in asked if isinstance(a, Proposal)] == PLANNED + PLANNED[:2]
    assert asked[4].internal["@repeat"] == 0 and asked[5].internal["@repeat"] == 1


def trial(trial_id: int, index: int, repeat: int, ablated: Any, value: float | None) -> Trial:
    state = TrialState.OK if value is not None else TrialState.FAILED
    internal = {"@ablation": index, "@repeat": repeat}
    return Trial(trial_id, {ABLATED: ablated}, internal, state, loss=value)


def test_failed_trials_leave_their_repeat_out_of_the_change() -> None:
    age = {"group": "features", "name": "age"}
    dense = {"group": "layers", "name": "dense_2"}
    trials = [
        trial(1, 0, 0, None, 1.0),
        trial(2, 1, 0, age, 1.5),
        trial(3, 2, 0, dense, None),
        trial(4, 3, 1, None, None),  # the second baseline failed
        trial(5, 4, 1, age, 3.0),
        trial(6, 5, 1, dense, None),
        Trial(7, {"x": 1}, {"x": 1.0}, TrialState.OK, loss=0.1),  # not a study's
    ]
    effects = {(e.group, e.name): e for e in ablation_effects(trials)}
    assert list(effects) == [(None, None), ("features", "age"), ("layers", "dense_2")]
    assert (effects[None, None].loss, effects[None, None].failed) == (1.0, 1)
    assert (effects["features", "age"].loss, effects["features", "age"].change) == (2.25, 0.5)
    assert effects["features", "age"].runs == 1 and effects["features", "age"].spread is None
    assert effects["layers", "dense_2"].loss is None and effects["layers", "dense_2"].failed == 2
    assert ablation_lines(trials) == [
        "ablation study: loss change when a component is left out "
        "(mean of 2 repeats, ± standard deviation)",
        "group     component  loss          change  spread",
        "baseline             1 (1 failed)",
        "features  age        2.25          +0.5",
        "layers    dense_2    failed",
    ]
    assert ablation_lines(trials[-1:]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda doc: doc["search"].pop("ablation"),
            'search: the ablation method needs "ablation": {"components": {"group": '
            '["name", ...]}}',
        ),
        (
            lambda doc: doc["search"].update(points=[{"lr": 0.02}]),
            "search.points: is not used by an ablation study, which runs its plan only",
        ),
        (
            lambda doc: doc["hyperparameters"]["properties"].update(ablated={"constant": 1}),
            'hyperparameters.properties.ablated: "ablated" is the key that names the component '
            "an ablation trial leaves out; rename this hyperparameter",
        ),
        (
            lambda doc: doc["search"]["ablation"].update(components={}),
            "search.ablation.components: must not be empty",
        ),
        (
            lambda doc: doc["search"]["ablation"].update(seed_param="ablated"),
            'search.ablation.seed_param: must not be "ablated"',
        ),
        (  # a component stopped at step 1 would count with its loss there
            lambda doc: doc["search"].update(early_stopping={"policy": "median"}),
            'search.early_stopping.policy: "median" stops trials an ablation study must run to '
            "their end: it compares each component's loss with its baseline's at the end (use "
            '"none")',
        ),
    ],
)
def test_study_problems_are_one_line_each(change: Any, expected: str, tmp_path: Path) -> None:
    doc = study(0.0, 1)
    change(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "bad.json")
    assert str(caught.value) == f"bad.json: {expected}"


def test_trials_the_timeout_cuts_short_stay_interrupted_and_run_again(
    tmp_path: Path, write_spec: Any
) -> None:
    """A trial that reported when the search's timeout passed is recorded ``stopped`` by other
    methods, which learn from its last report; a study's table would take that early loss for
    the component's, and a resumed study would not run it again. So it stays interrupted."""
    doc = study(noise=0.0, repeats=1, timeout=0.5)
    doc["function"] = {
        "type": "python_function",
        "src": str(Path(__file__).parent / "fake_trials" / "stoppable.py"),
        "name": "report_until_stopped",  # reports every 10 ms until stopped
        "parallel": 5,
    }
    spec = write_spec(doc)
    run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    records = journal_records(tmp_path / "results" / "study")
    assert any(r["event"] == "trial_reported" for r in records)
    finished = [r for r in records if r["event"] == "trial_finished"]
    assert [r["state"] for r in finished] == ["interrupted"] * 5
    shown = run_cli_here("show", str(tmp_path / "results" / "study"), cwd=tmp_path)
    assert "5 trials (5 interrupted)" in shown.stdout


def test_the_dashboards_best_panel_shows_the_baseline() -> None:
    state = DashboardState()
    state.apply(ev.SearchStarted("study", "ablation", 5, 2, Path("/tmp/results/study")))
    age = {"group": "features", "name": "age"}
    dense = {"group": "layers", "name": "dense_2"}
    for record in (
        trial(1, 1, 0, age, 0.67),
        trial(2, 0, 0, None, 0.57),
        trial(3, 2, 0, dense, 0.1),
    ):
        state.apply(ev.TrialStarted(replace(record, state=TrialState.RUNNING, loss=None)))
        state.apply(ev.TrialFinished(record, None, record.id))
    canvas = DashboardView(state).render((160, 50), focus=True)
    text = "\n".join(line.decode("utf-8") for line in canvas.text)
    assert "baseline (2)" in text and "best trial" not in text
    assert "loss 0.57" in text
    assert "features.age" in text and "+0.1 " in text
    assert "layers.dense_2" in text and "-0.47" in text


def test_a_component_named_with_a_line_break_keeps_its_row_in_show_and_the_dashboard() -> None:
    odd = {"group": "feat\tures", "name": "age\nnow"}
    trials = [trial(1, 0, 0, None, 0.5), trial(2, 1, 0, odd, 0.75)]
    assert ablation_lines(trials)[1:] == [
        "group       component  loss  change",
        "baseline               0.5",
        "feat\\tures  age\\nnow   0.75  +0.25",
    ]
    state = DashboardState()
    state.apply(ev.SearchStarted("study", "ablation", 2, 1, Path("/tmp/results/study")))
    for record in trials:
        state.apply(ev.TrialStarted(replace(record, state=TrialState.RUNNING, loss=None)))
        state.apply(ev.TrialFinished(record, None, record.id))
    canvas = DashboardView(state).render((160, 50), focus=True)
    text = "\n".join(line.decode("utf-8") for line in canvas.text)
    assert "feat\\tures.age\\nnow  +0.25" in text


def test_more_iterations_than_a_study_plans_say_how_many_trials_will_run() -> None:
    assert spec_from_dict(study(0.0, 1, iterations=9), Path("search.json")).notices == (
        "search.json: search.iterations: 9, but the ablation study plans 5 trials: only 5 trials"
        " will run",
    )
    assert spec_from_dict(study(0.0, 1, iterations=5), Path("search.json")).notices == ()
