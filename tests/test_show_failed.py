"""``hypermax show`` of a search whose every trial failed says why, as the search's own last line
did: it said only ``no trial produced a loss``."""

from __future__ import annotations

from conftest import X_SPACE, run_cli_here, run_hypermax_here
from fake_trials.helpers import fake, write_spec


def test_show_names_the_reason_every_trial_failed_and_a_log_that_holds_it(tmp_path):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("exit_nonzero")},
            "search": {"name": "s", "iterations": 2},
        },
    )
    ran = run_hypermax_here(spec)
    assert ran.returncode == 1
    last = ran.stderr.splitlines()[-1]  # hypermax: every trial failed: ...; details in LOG
    assert last.startswith("hypermax: every trial failed: ")
    shown = run_cli_here("show", "results/s", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    reason = last.removeprefix("hypermax: ").split("; details in ")[0]
    assert shown.stdout.splitlines() == [
        "results/s: 2 trials (2 failed)",
        f"no trial produced a loss: {reason}; details in results/s/logs/trial_2.log",
    ]
