"""The scripts in benchmarks/ still run: the cheapest call of each one's core, figures sane.

Nothing else runs them (they are run by hand, and their figures are in benchmarks/README.md), so
an import that moved or an optimizer seam that changed would otherwise go unseen until the next
measurement. Each test imports a script as its command line does (its folder on ``sys.path``)
and checks the figures it returns are finite, positive where they must be, and as many as asked;
a count no figure can be made of (one trial where a span between two is measured, no seeds) is
refused by the script's command line before anything runs.
Left out, as they cannot be made cheap: ``startup.py`` (six commands, each a process of its
own, and a 20-trial search first), ``dask_throughput.py`` (a Dask cluster to start), and the
parts that wait on the clock: ``watchdog.py``'s CPU window, ``dashboard.py``'s idle second,
``scale.py``'s RSS sampled each second; ``quality.py``'s ``--speed`` and ``--model`` take
seconds a run; ``gp`` and Optuna's GPSampler need torch, which the tests do not install.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], ModuleType]]:
    """Import a benchmark script by its name, as ``python benchmarks/NAME.py`` would."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    yield load
    for name, module in list(sys.modules.items()):  # their short names are no test's business
        # the module's own dict: a lazy module's getattr would import what it stands for
        if Path(getattr(module, "__dict__", {}).get("__file__") or "/").parent == BENCHMARKS:
            del sys.modules[name]


def sane(value: float) -> bool:
    return math.isfinite(value) and value >= 0


def test_quality_runs_a_method_and_an_optuna_peer(bench) -> None:
    quality = bench("quality")
    for task in (
        ("tpe", "Branin", 0, 1, 6),
        ("tpe", "mixed", 0, 4, 6),
        ("optuna-tpe", "mixed", 0, 1, 6),
    ):
        key, figures = quality.one_task(task)
        assert key == "|".join(map(str, task))
        assert sane(figures["gap"]) and figures["per_ask"] > 0
    kept = quality.runnable(["tpe", "optuna-gp"])
    assert ("optuna-gp" in kept) == (importlib.util.find_spec("torch") is not None)
    assert "tpe" in kept


def test_ask_ahead(bench) -> None:
    ask_ahead = bench("ask_ahead")
    space, objective, _ = ask_ahead.PROBLEMS["Branin"]
    for ahead in (False, True):
        assert math.isfinite(ask_ahead.best_loss("random", space, objective, 4, 0, ahead))
    assert ask_ahead.mean_sd([2.0]) == "2.0000 ± 0.0000"  # --seeds 1


def test_evolution_quality(bench) -> None:
    evolution_quality = bench("evolution_quality")
    for objective, space in evolution_quality.PROBLEMS.values():
        best = evolution_quality.best_loss("evolution", objective, space, 8, 0, 2, {})
        assert math.isfinite(best)
    assert evolution_quality.summary([2.0]) == "2 [2, 2]"  # --seeds 1


def test_parallel_screen_mean_is_todays_tpe(bench, monkeypatch, tmp_path, capsys) -> None:
    parallel_screen = bench("parallel_screen")
    quality = bench("quality")
    from hypermax.optimizers import tpe_parallel

    # the script swaps these while a variant runs: put back after the test whatever happens
    for name in ("believed_trials", "_believed_sample"):
        monkeypatch.setattr(tpe_parallel, name, getattr(tpe_parallel, name))
    cache = tmp_path / "screen.json"
    argv = ["parallel_screen.py", "--variants", "mean,rank-w0.25", "--functions", "Branin"]
    argv += ["--seeds", "0:1", "--trials", "14", "--cache", str(cache)]
    monkeypatch.setattr(sys, "argv", argv)
    parallel_screen.main()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows] == ["| variant", "| mean", "| rank-w0.25"]
    gaps = json.loads(cache.read_text())
    assert len(gaps) == 3 and all(sane(gap) for gap in gaps.values())
    _, tpe = quality.one_task(("tpe", "Branin", 0, 4, 14))
    assert gaps["mean|Branin|0|14"] == tpe["gap"]


def test_resume_and_scale(bench) -> None:
    resume = bench("resume")
    figures = resume.measure_resume(20)
    assert all(value > 0 and math.isfinite(value) for value in figures.values())
    costs = resume.measure_append(3)
    assert len(costs) == 3 and all(cost > 0 for cost in costs)
    scale = bench("scale")
    figures = scale.ask_and_resume(20, 2, "random")
    assert set(figures) == {"read", "rebuild", "first ask", "later asks", "random"}
    assert all(value > 0 and math.isfinite(value) for value in figures.values())
    readers = scale.journal_readers(20, reports=2, only="show")
    assert [command for command, *_ in readers] == ["show results/big"]
    assert all(value > 0 for _, *values in readers for value in values)


def test_reports(bench, tmp_path) -> None:
    reports = bench("reports")
    search, trial, read = reports.one(30, tmp_path)  # it checks the 30 reports were read back
    assert search > trial > 0 and read > 0


def test_watchdog_kills_on_time_and_ram(bench, tmp_path) -> None:
    watchdog = bench("watchdog")
    timed = watchdog.time_overshoot(tmp_path / "time", rounds=1, parallel=2, limit=0.3)
    assert timed["trials"] == 2
    assert all(math.isfinite(value) for value in timed.values())
    ram = watchdog.ram_overshoot(tmp_path / "ram", runs=1, limit_mib=60)
    assert ram["runs"] == 1 and ram["peak_max_mib"] >= ram["rss_at_kill_median_mib"] > 0


def test_dashboard_burst(bench) -> None:
    dashboard = bench("dashboard")
    figures = dashboard.burst(rate=200, seconds=0.05)
    assert figures["events"] == 10
    assert figures["redraws"] > 0 and figures["bytes"] > 0
    measured = ("catch_up", "feed_wall", "burst_cpu", "max_backlog", "feeder_cpu", "reader_cpu")
    assert all(sane(figures[key]) for key in measured)
    # the dashboard's share: neither the fake driver's nor the thread reading the terminal's
    left = figures["burst_cpu"] - figures["feeder_cpu"] - figures["reader_cpu"]
    assert dashboard.dashboard_cpu(figures) == left


def test_early_stopping(bench, tmp_path, capsys) -> None:
    pytest.importorskip("sklearn")
    early_stopping = bench("early_stopping")
    args = argparse.Namespace(trials=1, epochs=2, seeds=[1], no_preload=False, out=tmp_path)
    run = early_stopping.run_search("none", early_stopping.policies(2)["none"], 1, args)
    assert run.epochs == 2 and run.train_cpu > 0 and run.process_cpu > 0
    assert sane(run.best) and run.best_ran_to_end
    early_stopping.report([run], args)
    assert "| none | 1 |" in capsys.readouterr().out


def test_overhead_and_ab_overhead(bench, monkeypatch, tmp_path, capsys) -> None:
    overhead = bench("overhead")
    assert overhead.optimizer_ask("random", 3)["per_trial"] > 0
    fork = overhead.fork_wait(tmp_path / "fork", overhead.TRIVIAL, 1, 3)
    assert fork["per_trial"] > 0 and sane(fork["cpu"])
    ab_overhead = bench("ab_overhead")
    # the same install twice (A against A: the noise), this interpreter's, as the script wants
    install = str(Path(sys.executable).parent.parent)
    argv = ["ab_overhead.py", install, install, "--preload", "--trials", "3", "--rounds", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    ab_overhead.main()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(install)]
    assert len(lines) == 2  # one per search, each of its own
    for line in lines:
        wall = float(line.split("wall ")[1].split(" ms")[0])
        cpu = float(line.split("CPU ")[1].split(" ms")[0])
        own = float(line.split("a trial's process ")[1].split(" ms")[0])
        assert wall > 0 and cpu > own > 0


def test_thread_cpu(bench, monkeypatch, capsys) -> None:
    thread_cpu = bench("thread_cpu")
    install = str(Path(sys.executable).parent.parent)
    argv = ["thread_cpu.py", install, "--preload", "--trials", "3", "--rounds", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    thread_cpu.main()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("round")]
    assert len(lines) == 1
    assert float(lines[0].split("all ")[1].split(";")[0]) > 0
    assert "MainThread" in lines[0] and "hypermax-driver" in lines[0]


def test_preload_server(bench, tmp_path) -> None:
    figures = bench("preload_server").one_round(tmp_path, 3)
    assert set(figures) == {"wall", "server_cpu", "server_faults", "trial_cpu", "trial_faults"}
    assert figures["wall"] > 0 and figures["trial_faults"] > 0
    assert all(sane(value) for value in figures.values())


def refuses(bench, monkeypatch, capsys, script: str, argv: list[str]) -> str:
    """Run ``script``'s main with ``argv``: it must exit 2 before measuring; its error line."""
    main = bench(script).main
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


@pytest.mark.parametrize(
    ("script", "argv"),
    [
        ("overhead", ["--trials", "1", "--only", "overhead"]),
        ("ab_overhead", [sys.prefix, sys.prefix, "--trials", "1", "--rounds", "1"]),
    ],
)
def test_overhead_needs_two_trials(bench, monkeypatch, capsys, script, argv) -> None:
    # per trial is a span between two trials (ab_overhead) or after the first (overhead's CPU)
    error = refuses(bench, monkeypatch, capsys, script, argv)
    assert "argument --trials: at least 2, not 1" in error


def test_early_stopping_needs_two_epochs(bench, monkeypatch, capsys) -> None:
    pytest.importorskip("sklearn")
    # ASHA stops a trial at a rung below its last epoch: with one epoch it has none to stop at
    argv = ["--epochs", "1", "--trials", "1", "--seeds", "1", "--policies", "asha"]
    error = refuses(bench, monkeypatch, capsys, "early_stopping", argv)
    assert "argument --epochs: at least 2, not 1" in error


def test_early_stopping_reports_without_none(bench, capsys) -> None:
    pytest.importorskip("sklearn")
    early_stopping = bench("early_stopping")
    args = argparse.Namespace(trials=1, epochs=2, seeds=[1], no_preload=False)
    run = early_stopping.Run("asha", 1, 0.25, True, 2, 0.5, 0.75, 0, 1.0)
    early_stopping.report([run], args)  # --policies asha: no search without stopping to compare
    out = capsys.readouterr().out
    assert "| asha | 1 | 0.2500 | 2 |" in out and "the policy none did not run" in out


def test_quality_quartiles_stay_within_the_gaps(bench) -> None:
    quality = bench("quality")
    assert quality._cell([0.0, 0.01]) == "0.005 [0, 0.01]"  # --seeds 2: not [-0.0025, 0.0125]
    assert quality._cell([0.0, 0.01, 0.02]) == "0.01 [0, 0.02]"
    assert quality._cell([0.5]) == "0.5 [0.5, 0.5]"
    # ten seeds: the quartiles the published tables were made with
    assert quality._cell([float(gap) for gap in range(10)]) == "4.5 [1.75, 7.25]"


@pytest.mark.parametrize(
    ("script", "argv", "refusal"),
    [
        ("ask_ahead", ["--seeds", "0", "--problems", "Branin"], "--seeds: at least 1, not 0"),
        ("evolution_quality", ["--seeds", "0"], "--seeds: at least 1, not 0"),
        (
            "quality",
            ["--trials", "0", "--only", "random", "--parallel", "", "--cache", "quality.json"],
            "--trials: at least 1",
        ),
        ("scale", ["--asks", "0", "--sizes", "20", "--rss-trials", "0"], "--asks: at least 1"),
        ("startup", ["--runs", "0"], "--runs: at least 1, not 0"),
        ("preload_server", ["--trials", "0"], "--trials: at least 1, not 0"),
    ],
)
def test_no_figure_of_nothing(bench, monkeypatch, capsys, tmp_path, script, argv, refusal) -> None:
    # a mean, median or quartile of no seeds, asks or runs: refused before anything runs
    monkeypatch.chdir(tmp_path)  # where quality.py would keep its cache
    error = refuses(bench, monkeypatch, capsys, script, argv)
    assert f"argument {refusal}" in error


def test_large_results(bench) -> None:
    figures = bench("large_results").measure(2, 1, "random", sys.executable)
    assert all(sane(value) for value in figures.values())
    assert figures["peak"] > 0 and figures["journal"] > 2 * 2**20
    assert figures["left"] < 2**20  # the result files went once read


def test_journal_writes_writes_the_records_of_its_trials(bench) -> None:
    journal_writes = bench("journal_writes")
    made = journal_writes.records(3)
    assert [record["event"] for record in made] == ["trial_started", "trial_finished"] * 3
    assert sane(journal_writes.measure(3, rounds=1))
