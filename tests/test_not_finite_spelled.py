"""A NaN or an infinity is ``nan``, ``inf`` or ``-inf`` wherever a user reads it, and the
journal, which writes it as text, reads it back as the number a trial returned."""

from __future__ import annotations

import json
import math

from conftest import fake_function_spec, run_cli_here, run_hypermax_here

from hypermax.journal_replay import read_state


def ran(tmp_path):
    """The results folder of one trial of ``not_finite_everywhere``."""
    spec = fake_function_spec(
        tmp_path, "odd_results.py", "not_finite_everywhere", {"name": "n", "iterations": 1}
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    return tmp_path / "results" / "n"


def test_show_trial_spells_them_one_way(tmp_path):
    """The reports were NaN and Infinity (JSON's words, not JSON), a NaN in the metadata nan,
    and an infinity inside an object the text "inf", in quotes."""
    folder = ran(tmp_path)
    shown = run_cli_here("show", str(folder), "--trial", "1", cwd=tmp_path).stdout
    assert "step=1, loss=nan, acc=inf" in shown
    assert '{"m": [inf]}' in shown and "-inf" in shown
    assert "NaN" not in shown and "Infinity" not in shown and '"inf"' not in shown


def test_the_journal_reads_back_the_numbers_the_trial_returned(tmp_path):
    """The journal writes them as the text "nan", "inf": read back, the metrics, metadata and
    reports held that text, where the trial that ran held the numbers."""
    folder = ran(tmp_path)
    (trial,) = read_state(folder / "trials.jsonl").trials.values()
    assert math.isnan(trial.metadata["acc"]) and trial.metadata["low"] == -math.inf
    assert trial.metadata["deep"] == {"m": [math.inf]}
    (report,) = trial.reports
    assert math.isnan(report["loss"]) and report["acc"] == math.inf


def test_the_json_export_is_strict_json_with_them_as_text(tmp_path):
    folder = ran(tmp_path)
    exported = run_cli_here("export", str(folder), "--format", "json", cwd=tmp_path).stdout

    def refuse(word: str) -> None:
        raise AssertionError(f"{word} is no JSON")

    (trial,) = json.loads(exported, parse_constant=refuse)["trials"]
    assert trial["metadata"] == {"acc": "nan", "low": "-inf", "deep": {"m": ["inf"]}}
