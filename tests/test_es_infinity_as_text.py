"""A report whose metric is the text "inf" or "nan" weighs as the infinity or NaN it names,
live as on a resume: the journal writes a NaN or an infinity as that text, so a resumed search
cannot tell the one from the other, and must decide as the uninterrupted search did."""

from __future__ import annotations

from conftest import finished_records, model_spec, run_hypermax_here

#: at step 1: trial 1 reports 0.5, trial 2 the text (a diverged model), trial 3 0.9
TEXT_SECOND = """
LOSSES = {0.1: 0.5, 0.2: %r, 0.3: 0.9}

def train(params, reporter):
    reporter(1, loss=LOSSES[params["x"]])
    return 0.25
"""


def test_a_report_of_inf_as_text_weighs_as_on_a_resume(tmp_path):
    """Trial 3's 0.9 is judged against the median of 0.5 and trial 2's infinity: not worse.
    Live, the text was not weighed (the median was 0.5: trial 3 stopped), while a search
    resumed before trial 3 read it back from the journal as an infinity (trial 3 went on)."""
    finished = {}
    for run, extra in (("whole", ()), ("resumed", ("--iterations", "2"))):
        folder = tmp_path / run
        folder.mkdir()
        search = {
            "name": "s",
            "iterations": 3,
            "points": [{"x": x} for x in (0.1, 0.2, 0.3)],
            "early_stopping": {"policy": "median", "min_trials": 1},
        }
        spec = model_spec(folder, TEXT_SECOND % "inf", search)
        done = run_hypermax_here(spec, *extra)
        assert done.returncode == 0, done.stderr
        if extra:
            done = run_hypermax_here(spec)
            assert done.returncode == 0, done.stderr
        trials = finished_records(folder / "results" / "s")
        assert trials[2]["state"] == "stopped"  # its report diverged
        finished[run] = (trials[3]["state"], trials[3]["loss"])
    assert finished == {"whole": ("ok", 0.25), "resumed": ("ok", 0.25)}
