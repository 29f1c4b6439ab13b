"""Trials on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1 (random free ports), started once for this module and stopped by pid at its end.

The runner contract runs against the Dask runner; searches run through the command line; a
worker is killed mid-trial, a scheduler is lost, Ctrl-C stops trials on the workers.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")

from conftest import (
    OBJECTIVES,
    finished_records,
    journal_records,
    run_cli,
    run_cli_here,
    run_hypermax_here,
)
from dask_cluster import LocalDaskCluster, Proxy, make_certificates
from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    at_default_signals,
    is_stopped,
    pid_alive,
    wait_until,
)
from runner_contract import OUTCOME_TIMEOUT, RunnerContract, executable
from test_driver import FakeRunner, Search

import hypermax
from hypermax import events as ev
from hypermax.errors import SearchFailed, SpecError
from hypermax.events import Command
from hypermax.execution import dask_files, dask_stops, make_runner
from hypermax.execution.base import BaseRunner
from hypermax.execution.dask import DaskRunner
from hypermax.execution.dask_cluster import TRY_SECONDS
from hypermax.execution.dask_worker import claim_path
from hypermax.spec import ClusterSpec, FunctionSpec, spec_from_dict
from hypermax.trial import KillReason, Outcome, Proposal, Report, RunnerNote, TrialState

SENTINELS_ENV = "HYPERMAX_TEST_SENTINELS"
SLOT = "SLOT"  # a resource only the second worker of the module's cluster offers


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """The module's cluster: two workers of two threads; the second offers one ``SLOT``."""
    local = LocalDaskCluster(tmp_path_factory.mktemp("dask"), workers=1)
    try:
        local.add_worker("--resources", f"{SLOT}=1")
        local.wait_for_workers(2)
        yield local
    finally:
        local.stop()


def search_doc(
    tmp_path: Path, marker: str, name: str, cluster: dict[str, Any], **function: Any
) -> dict[str, Any]:
    """A search over ``x`` (by the default method) whose trials call ``name`` of
    ``objectives/on_worker.py``."""
    iterations = function.pop("iterations", 4)
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "on_worker.py"),
            "name": name,
            "env": {MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
            "kill_grace": 0.5,
            **function,
        },
        "search": {"name": "onworkers", "iterations": iterations, "seed": 3},
        "cluster": cluster,
        "results": {"directory": str(tmp_path / "results")},
    }


def start_search(spec: Path) -> subprocess.Popen[str]:
    """``hypermax run SPEC`` in a process group of its own, as a shell's job control starts it:
    a group whose parent is in another (not orphaned), which Ctrl-Z can stop even when pytest
    itself runs in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"],
        cwd=spec.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
        preexec_fn=at_default_signals,
    )


def sentinel(path: Path) -> list[int]:
    wait_until(path.exists, OUTCOME_TIMEOUT, f"{path} to appear")
    wait_until(lambda: path.read_text().strip(), OUTCOME_TIMEOUT, f"{path} to be written")
    return [int(pid) for pid in path.read_text().split()]


# -- the runner contract ----------------------------------------------------------------------
class TestDaskRunner(RunnerContract):
    names_processes = False
    where = "Dask worker tcp://127.0.0.1:"

    @pytest.fixture(autouse=True)
    def _cluster(self, cluster: LocalDaskCluster) -> None:
        self.address = cluster.address

    def make_runner(self, function: FunctionSpec, folder: Path) -> BaseRunner:
        return DaskRunner(function, folder, ClusterSpec(self.address))


def test_make_runner_builds_the_dask_runner_for_a_spec_with_a_cluster(cluster, tmp_path):
    function = {**executable("good"), "command": list(executable("good")["command"])}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": function,
        "cluster": {"scheduler": cluster.address, "resources": {SLOT: 1}},
    }
    runner = make_runner(spec_from_dict(doc, tmp_path / "search.json"))
    try:
        assert isinstance(runner, DaskRunner)
        assert runner.cluster == ClusterSpec(cluster.address, resources={SLOT: 1.0})
        assert runner.client.status == "running"
    finally:
        runner.close()
    assert runner.client.status == "closed"


# -- searches through the command line --------------------------------------------------------
def test_a_search_runs_its_trials_in_the_workers_process_trees_and_a_time_limit_kills_there(
    cluster, tmp_path, write_spec, marker
):
    doc = search_doc(
        tmp_path,
        marker,
        "where_unless_one",
        {"scheduler": "tcp://127.0.0.1:1"},  # --scheduler wins
        parallel=4,
        iterations=8,
        auto_kill_max_time=1.5,
        auto_kill_loss=1.0,
    )
    doc["search"]["points"] = [{"x": 1.0}]  # trial 1 hangs until the time limit kills it
    spec = write_spec(doc)
    result = run_hypermax_here(spec, "--scheduler", cluster.address)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "results" / "onworkers"
    finished = finished_records(folder)
    assert sorted(finished) == list(range(1, 9))
    killed = finished.pop(1)
    assert (killed["state"], killed["kill_reason"], killed["loss"]) == ("killed", "time", 1.0)
    assert killed["kill_value"] > 1.5 and killed["reason"].endswith("limit 1.5 s")
    assert not pid_alive(sentinel(tmp_path / "up-1")[0])
    assert {r["state"] for r in finished.values()} == {"ok"}
    parents = {r["metadata"]["parent"] for r in finished.values()}
    assert parents == {worker.pid for worker in cluster.workers}  # both workers, nothing else
    started = [r for r in journal_records(folder) if r["event"] == "trial_started"]
    assert [r["pid"] for r in started] == [None] * 8  # no process of this machine to name
    for trial_id, record in finished.items():
        log = (folder / "logs" / f"trial_{trial_id}.log").read_text()
        # its first line (not a blank one before it)
        assert log.startswith(f"[hypermax: trial {trial_id} runs on Dask worker tcp://127.0.0.1:")
        assert record["loss"] == pytest.approx((started[trial_id - 1]["params"]["x"] - 0.3) ** 2)
    assert "[hypermax: killed: time limit: ran " in (folder / "logs" / "trial_1.log").read_text()
    frozen = json.loads((folder / "search.json").read_text())
    assert frozen["cluster"] == {
        "scheduler": cluster.address,
        "lost_worker_reruns": 3,
        "lost_scheduler_wait": 60,
    }
    assert_none_alive(marker)


def test_a_worker_that_sees_a_relative_results_folder_writes_the_trials_there(
    cluster, tmp_path, write_spec, marker
):
    """``results.directory`` relative (as by default): a worker started in another folder sees
    it at its absolute path, and runs the trial in place; it looked for the relative path from
    its own folder, and ran every trial in a scratch folder whose files came back at its end."""
    doc = search_doc(tmp_path, marker, "folder", {"scheduler": cluster.address}, iterations=1)
    doc["results"]["directory"] = "results"
    result = run_hypermax_here(write_spec(doc))
    assert result.returncode == 0, result.stderr
    record = finished_records(tmp_path / "results" / "onworkers")[1]
    assert record["metadata"]["parent"] in {worker.pid for worker in cluster.workers}
    assert record["metadata"]["cwd"] == str(tmp_path / "results" / "onworkers" / "trials" / "1")


def test_a_search_begun_here_resumes_on_the_cluster(cluster, tmp_path, write_spec, marker):
    doc = search_doc(tmp_path, marker, "where", {}, iterations=1)
    del doc["cluster"]
    result = run_hypermax_here(write_spec(doc))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "results" / "onworkers"
    more = ("--iterations", "2", "--no-ui", "--scheduler", cluster.address)
    result = run_cli_here("resume", str(folder), *more, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    finished = finished_records(folder)
    assert sorted(finished) == [1, 2] and {r["state"] for r in finished.values()} == {"ok"}
    workers = {worker.pid for worker in cluster.workers}
    assert finished[1]["metadata"]["parent"] not in workers  # this machine's hypermax
    assert finished[2]["metadata"]["parent"] in workers


def test_trials_hold_the_resources_of_the_cluster_section(cluster, tmp_path, write_spec, marker):
    cluster_section = {"scheduler": cluster.address, "resources": {SLOT: 1}}
    doc = search_doc(tmp_path, marker, "where", cluster_section, parallel=2, iterations=3)
    result = run_hypermax_here(write_spec(doc))
    assert result.returncode == 0, result.stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert len(finished) == 3
    assert {r["metadata"]["parent"] for r in finished.values()} == {cluster.workers[1].pid}
    assert "cluster:" not in result.stdout  # a worker offers them: nothing to wait for


#: a ``dask worker`` for the address in argv[1] whose hypermax says it is version argv[2]; it
#: alone offers the resource ``OTHER``
WORKER_OF_VERSION = """
import sys
import hypermax
hypermax.__version__ = sys.argv[2]  # as another install of hypermax has it
from dask.cli import run_cli
sys.argv = ["dask", "worker", sys.argv[1], "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
            "--nthreads", "1", "--death-timeout", "60", "--resources", "OTHER=1"]
run_cli()
"""


def test_a_worker_with_another_hypermax_version_fails_its_trials_saying_so(
    cluster, tmp_path, write_spec, marker
):
    """A worker whose hypermax is another version may lack what a task names, or run it
    otherwise: each trial it takes fails naming both versions, before anything of it runs."""
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_OF_VERSION, cluster.address, "0.0.1"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cluster.wait_for_workers(3)
        section = {"scheduler": cluster.address, "resources": {"OTHER": 1}}
        doc = search_doc(tmp_path, marker, "where", section, iterations=2)
        result = run_hypermax_here(write_spec(doc))
    finally:
        worker.terminate()  # it says goodbye to the scheduler
        worker.wait()
        cluster.wait_for_workers(2)
    assert result.returncode == 1, result.stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert sorted(finished) == [1, 2]
    said = re.compile(
        r"the Dask task failed: RuntimeError: Dask worker tcp://127\.0\.0\.1:\d+ runs hypermax "
        rf"0\.0\.1, this machine {re.escape(hypermax.__version__)}: install the same hypermax on "
        "every worker"
    )
    for record in finished.values():
        assert record["state"] == "failed"
        assert said.fullmatch(record["reason"]), record["reason"]
    assert result.stderr.startswith(f"hypermax: every trial failed: {finished[1]['reason']}; ")


def test_a_worker_keeps_no_guardian_for_the_limits_of_searches_that_ended(cluster, tmp_path):
    """Each set of limits has its host (its watchdog, its guardian process) on a worker; one that
    no trial holds any more is closed when a trial with other limits comes, so a worker that
    serves search after search does not gather a guardian for each."""
    parents = set()
    for limit in (1001, 1002):
        function = FunctionSpec(
            type="python_function",
            src=str(OBJECTIVES / "on_worker.py"),
            name="where",
            auto_kill_max_time=limit,
        )
        runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address, resources={SLOT: 1}))
        try:
            RunnerContract.submit(runner, tmp_path, limit, x=0.5)
            outcome, _ = RunnerContract.outcome(runner, limit)
        finally:
            runner.close()
        assert outcome.state is TrialState.OK, outcome.reason
        assert outcome.result is not None
        parents.add(outcome.result["parent"])
    (worker,) = parents  # the one worker that offers a SLOT
    guardians = [
        child
        for child in psutil.Process(worker).children()
        if "hypermax.execution.guardian" in child.cmdline()
    ]
    assert len(guardians) == 1


def test_a_scheduler_keeps_nothing_of_a_search_that_ended(cluster, tmp_path):
    """A scheduler serves search after search: the events a runner's trials sent (starts,
    reports, looks) and its trials' claims are dropped as the runner closes, not kept (up to a
    thousand events a topic) for as long as the scheduler runs."""
    from distributed import Client

    function = FunctionSpec(type="python_function", src=str(OBJECTIVES / "epochs.py"), name="train")
    runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
    topics = [runner.topic, runner.live_topic]
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        outcome, events = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert any(isinstance(e, Report) for e in events)  # the live topic had its reports
    with Client(cluster.address, set_as_default=False) as client:
        kept = {topic: client.get_events(topic) for topic in topics}
        claims = client.get_metadata([runner.topic], default="none")
    assert kept == {topic: () for topic in topics}
    assert claims == "none"


def _kept(client: Any) -> dict[str, bool]:
    """The main topic of each search the scheduler keeps events of, and whether one of its
    listeners is still connected (a function made here travels by value)."""

    def kept(dask_scheduler: Any) -> dict[str, bool]:
        clients = set(dask_scheduler.clients)
        return {
            name: bool(topic.subscribers & clients)
            for name, topic in dask_scheduler._broker._topics.items()
            if name.startswith("hypermax-") and not name.endswith("-live")
        }

    return dict(client.run_on_scheduler(kept))


def test_what_a_killed_search_left_on_the_scheduler_goes_when_the_next_one_connects(
    cluster, tmp_path, write_spec, marker
):
    """A hypermax killed (SIGKILL, the OOM killer) cannot tell the scheduler its search ended:
    its claims and its topics' events (up to a thousand a topic) stayed for as long as the
    scheduler ran, search after search. The next search to connect drops them; a search still
    connected keeps its own."""
    from distributed import Client

    doc = search_doc(tmp_path, marker, "hang", {"scheduler": cluster.address}, iterations=1)
    with Client(cluster.address, set_as_default=False) as client:
        before = set(_kept(client))
        search = start_search(write_spec(doc))
        try:
            sentinel(tmp_path / "up-1")
            (killed,) = set(_kept(client)) - before
            os.kill(search.pid, signal.SIGKILL)
            search.wait()
        finally:
            search.kill()
        wait_until(
            lambda: _kept(client).get(killed) is False,
            OUTCOME_TIMEOUT,
            "the scheduler to drop the killed search's client",
        )
        assert client.get_metadata([killed], default="none") != "none"  # its trial's claim
        function = FunctionSpec(type="python_function", src=str(OBJECTIVES / "on_worker.py"))
        runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
        try:
            kept = wait_until(
                lambda: (now := _kept(client)).get(runner.topic) and now, OUTCOME_TIMEOUT, "its own"
            )
            events = {t: client.get_events(t) for t in (killed, f"{killed}-live")}
            claims = client.get_metadata([killed], default="none")
        finally:
            runner.close()
    assert killed not in kept
    assert events == {killed: (), f"{killed}-live": ()}
    assert claims == "none"
    assert_none_alive(marker)


def _waits_saying_so(
    runner: DaskRunner, folder: Path, trial_id: int, **params: Any
) -> tuple[list[RunnerNote], Outcome]:
    """Submit a trial that no worker can run yet; the notes the runner gives while it waits,
    and the outcome of the trial, cancelled then."""
    RunnerContract.submit(runner, folder, trial_id, **params)
    notes = wait_until(
        lambda: [e for e in runner.poll(0.5) if isinstance(e, RunnerNote)],
        OUTCOME_TIMEOUT,
        "a note that the trial waits",
    )
    runner.cancel(trial_id, KillReason.INTERRUPT)
    outcome, _ = RunnerContract.outcome(runner, trial_id)
    return notes, outcome


def test_trials_that_no_worker_offers_resources_for_wait_saying_so(cluster, tmp_path, marker):
    wanted = ClusterSpec(cluster.address, resources={"GPU": 1.0})
    runner = DaskRunner(
        FunctionSpec(**executable("good", env={MARKER_ENV: marker})), tmp_path, wanted
    )
    try:
        notes, outcome = _waits_saying_so(runner, tmp_path, 1)
    finally:
        runner.close()
    assert notes == [
        RunnerNote(
            f"cluster: none of the 2 workers of {cluster.address} offers the resources each "
            "trial holds (GPU=1); the trials wait for one that does"
        )
    ]
    assert outcome.state is TrialState.INTERRUPTED


def test_trials_stopped_before_they_start_are_marked_in_one_round_trip(cluster, tmp_path, marker):
    """Ctrl-C with many trials waiting on the scheduler: their stop marks (which a task that
    starts all the same finds, and does not run its trial) are set in one round trip, not one
    each."""
    wanted = ClusterSpec(cluster.address, resources={"GPU": 1.0})  # no worker offers one
    function = FunctionSpec(**executable("good", env={MARKER_ENV: marker}))
    runner = DaskRunner(function, tmp_path, wanted)
    round_trips: list[str] = []
    for name in ("run_on_scheduler", "set_metadata"):  # counted, and done all the same
        real = getattr(runner.client, name)

        def counted(*args: Any, _name: str = name, _real: Any = real, **kwargs: Any) -> Any:
            round_trips.append(_name)
            return _real(*args, **kwargs)

        setattr(runner.client, name, counted)
    try:
        for trial_id in range(1, 21):
            RunnerContract.submit(runner, tmp_path, trial_id, x=0.5)
        for trial_id in range(1, 21):
            runner.cancel(trial_id, KillReason.INTERRUPT)
        events: list[Any] = []
        wait_until(
            lambda: (
                events.extend(runner.poll(0.5)) or sum(isinstance(e, Outcome) for e in events) == 20
            ),
            OUTCOME_TIMEOUT,
            "the 20 outcomes",
        )
        assert round_trips == ["run_on_scheduler"]
        marks = runner.client.get_metadata([runner.topic])
    finally:
        runner.close()
    outcomes = [event for event in events if isinstance(event, Outcome)]
    assert sorted(o.trial_id for o in outcomes) == list(range(1, 21))
    assert {o.state for o in outcomes} == {TrialState.INTERRUPTED}
    assert len(marks) == 20
    assert all(mark == {"stop": KillReason.INTERRUPT.value} for mark in marks.values())


def test_a_trial_stopped_early_before_it_starts_that_starts_all_the_same_ends_stopped(
    cluster, tmp_path, marker
):
    """A trial stopped before it started, whose task starts before the runner marks it stopped
    on the scheduler, has the stop delivered on its worker by its start event, and ends as
    stopped early: its task is not cancelled under it as well (which left it interrupted)."""
    stubborn = 'trap "" TERM USR1; touch "$HYPERMAX_TRIAL_DIR/up"; while :; do sleep 0.05; done'
    function = FunctionSpec(
        type="executable", command=("sh", "-c", stubborn), env={MARKER_ENV: marker}, kill_grace=1
    )
    runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        runner.cancel(1, KillReason.EARLY_STOP)  # before its task starts; nothing polls yet
        # it starts all the same (the stop its start event brings may come before its trap: it
        # ends at once then, stopped, without its "up", perhaps before a look finds it live;
        # else SIGKILLed after its kill_grace). Polling sooner would mark it stopped first.
        wait_until(lambda: 1 in runner.live() or not runner.running(), OUTCOME_TIMEOUT, "its start")
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.STOPPED, outcome.reason
    assert outcome.exit_code is not None, "its process never ran"
    assert_none_alive(marker)


def test_ctrl_c_stops_the_trials_on_the_workers(cluster, tmp_path, write_spec, marker):
    doc = search_doc(tmp_path, marker, "hang", {"scheduler": cluster.address}, parallel=2)
    search = start_search(write_spec(doc))
    try:
        pids = [sentinel(tmp_path / f"up-{i}")[0] for i in (1, 2)]
        search.send_signal(signal.SIGINT)
        _, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    assert search.returncode == 130, stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert {i: r["state"] for i, r in finished.items()} == {1: "interrupted", 2: "interrupted"}
    assert not any(pid_alive(pid) for pid in pids)
    assert_none_alive(marker)


def test_a_second_ctrl_c_kills_the_trials_still_in_their_grace_on_the_workers(
    cluster, tmp_path, write_spec, marker
):
    doc = search_doc(tmp_path, marker, "hang", {"scheduler": cluster.address}, iterations=1)
    doc["function"] = executable("ignore_sigterm", kill_grace=300, env={MARKER_ENV: marker})
    results = tmp_path / "results" / "onworkers"
    log = results / "logs" / "trial_1.log"
    search = start_search(write_spec(doc))
    try:
        wait_until((results / "trials" / "1" / "up").exists, OUTCOME_TIMEOUT, "the trial")
        search.send_signal(signal.SIGINT)
        wait_until(lambda: "SIGTERM to" in log.read_text(), OUTCOME_TIMEOUT, "its SIGTERM")
        search.send_signal(signal.SIGINT)  # without it: SIGKILL after the 300 s grace
        stdout, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    assert search.returncode == 130, stderr
    assert "interrupt again to kill them at once" in stdout + stderr
    assert finished_records(results)[1]["state"] == "interrupted"
    assert "interrupted again: SIGKILL to" in log.read_text()
    assert_none_alive(marker)


def test_ctrl_z_says_the_trials_on_the_workers_run_on(cluster, tmp_path, write_spec, marker):
    """Ctrl-Z stops hypermax, not the trials on the cluster's workers: it says they run on,
    not that it stopped with none running."""
    doc = search_doc(tmp_path, marker, "hang", {"scheduler": cluster.address}, parallel=2)
    search = start_search(write_spec(doc))
    try:
        pids = [sentinel(tmp_path / f"up-{i}")[0] for i in (1, 2)]
        search.send_signal(signal.SIGTSTP)
        wait_until(lambda: is_stopped(search.pid), OUTCOME_TIMEOUT, "hypermax to stop")
        assert not any(is_stopped(pid) for pid in pids)
        search.send_signal(signal.SIGCONT)
        search.send_signal(signal.SIGINT)
        out, err = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    assert search.returncode == 130, err
    assert (
        f"hypermax: stopped, with 2 trials running on the Dask cluster at {cluster.address}: "
        "they run on; fg or bg continues"
    ) in out + err
    assert_none_alive(marker)


def test_a_stopped_runner_is_sent_no_flood_of_reports_but_each_trials_last(cluster, tmp_path):
    """While hypermax is stopped (Ctrl-Z), its trials run on and their reports are not sent to
    it (a flood would fill its connection, which nothing reads, until the scheduler drops it);
    the last report of a trial that ended comes all the same, before its outcome."""
    from objectives.on_worker import FLOOD

    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="flood_after_go",
        env={SENTINELS_ENV: str(tmp_path)},
    )
    runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        sentinel(tmp_path / "up-1")
        assert runner.pause() == 0  # they run on
        (tmp_path / "go").touch()
        outcome, events = RunnerContract.outcome(runner, 1)
        runner.unpause()
    finally:
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    reports = [event for event in events if isinstance(event, Report)]
    assert len(reports) < FLOOD
    assert events[-2:] == [Report(1, FLOOD, {"loss": 1.0 / FLOOD}), outcome]


def hold_starts(runner: DaskRunner) -> list[Any]:
    """Hold back the start events of the runner's trials (its other events reach it): the one
    their workers send as each starts, and the one once it started; the list they gather in, for
    :func:`let_starts_through`."""
    held: list[Any] = []

    def hold(event: Any) -> None:
        if event[1].get("kind") in ("starting", "started"):
            held.append(event)
        else:
            runner._on_event(event)

    runner.client.subscribe_topic(runner.topic, hold)
    return held


def let_starts_through(runner: DaskRunner, held: list[Any]) -> None:
    """Hand the runner the start events held back, and those to come."""
    runner.client.subscribe_topic(runner.topic, runner._on_event)
    for event in held:
        runner.client.loop.add_callback(runner._on_event, event)


def test_a_trial_whose_start_is_on_its_way_is_stopped_on_its_worker(cluster, tmp_path):
    """A trial stopped early after its task claimed its attempt and started it, while the
    worker's start event is still on its way to hypermax, is stopped on its worker once that
    event arrives, as one whose start was heard: its task was cancelled under it instead, and
    it ended ``interrupted`` ("its Dask task was cancelled"). Here the start event is held
    back until the stop has been dealt with."""
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        env={SENTINELS_ENV: str(tmp_path)},
        kill_grace=0.25,
    )
    runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
    try:
        held = hold_starts(runner)
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        (pid,) = sentinel(tmp_path / "up-1")
        wait_until(lambda: held, OUTCOME_TIMEOUT, "the start event")
        runner.cancel(1, KillReason.EARLY_STOP)
        assert runner.poll(0.1) == []  # where a trial waiting for a worker is dropped
        let_starts_through(runner, held)
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert (outcome.state, outcome.kill_reason) == (
        TrialState.STOPPED,
        KillReason.EARLY_STOP,
    ), outcome.reason
    assert outcome.exit_code == -signal.SIGTERM
    assert not pid_alive(pid)


def test_reports_of_any_json_reach_the_runner_and_leave_the_worker_running(cluster, tmp_path):
    """A report whose values Dask's msgpack cannot carry (an integer beyond 64 bits, a lone
    surrogate, deep nesting) arrives whole, and its worker goes on: such a message broke the
    worker's connection, and every worker that ran the trial again ended."""
    from objectives.on_worker import ODD_METRICS

    function = FunctionSpec(
        type="python_function", src=str(OBJECTIVES / "on_worker.py"), name="odd_reports"
    )
    workers = set(cluster.live_workers())
    runner = DaskRunner(function, tmp_path, ClusterSpec(cluster.address))
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        outcome, events = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert events == [Report(1, 1, ODD_METRICS), outcome]
    assert set(cluster.live_workers()) == workers


def test_the_workers_stop_the_trials_of_a_hypermax_that_died(cluster, tmp_path, write_spec, marker):
    doc = search_doc(tmp_path, marker, "hang", {"scheduler": cluster.address}, parallel=2)
    search = start_search(write_spec(doc))
    try:
        pids = [sentinel(tmp_path / f"up-{i}")[0] for i in (1, 2)]
        search.kill()  # no goodbye: the scheduler cancels its tasks, the workers stop the trials
        search.wait()
        for pid in pids:
            wait_until(lambda pid=pid: not pid_alive(pid), OUTCOME_TIMEOUT, f"trial {pid} to end")
    finally:
        search.kill()
        search.communicate()
    assert_none_alive(marker)


def test_a_trial_whose_worker_dies_is_recorded_interrupted_and_runs_again(
    cluster, tmp_path, write_spec, marker
):
    doc = search_doc(
        tmp_path, marker, "first_run_hangs", {"scheduler": cluster.address}, iterations=1
    )
    search = start_search(write_spec(doc))
    try:
        trial, worker_pid = sentinel(tmp_path / "up")
        (victim,) = [worker for worker in cluster.workers if worker.pid == worker_pid]
        victim.kill()  # SIGKILL: the worker dies mid-trial, without a word to anyone
        victim.wait()
        stdout, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
        cluster.replace_worker(victim)
    assert search.returncode == 0, stderr
    folder = tmp_path / "results" / "onworkers"
    trail = [(r["event"], r.get("state")) for r in journal_records(folder) if r.get("id") == 1]
    assert trail == [
        ("trial_started", None),
        ("trial_finished", "interrupted"),
        ("trial_started", None),
        ("trial_finished", "ok"),
    ]
    lost = next(r for r in journal_records(folder) if r.get("state") == "interrupted")
    assert lost["reason"].startswith("lost with its Dask worker tcp://127.0.0.1:")
    assert f"trial 1 {lost['reason']}; running it again (1 of 3)" in stdout
    runs = (tmp_path / "runs").read_text().split("\n")[:-1]
    assert len(runs) == 2  # Dask's own retry of the lost task never ran the trial
    assert int(runs[1].split()[1]) != worker_pid  # the second run was on the other worker
    assert not pid_alive(trial)
    log = (folder / "logs" / "trial_1.log").read_text()
    assert "[hypermax: lost with its Dask worker" in log
    assert "output stayed there" not in log  # written in place: this log holds it
    # the second run: why it runs again, then where
    notes = [line for line in log.splitlines() if line.startswith("[hypermax: trial 1 ")]
    assert notes[-2].startswith("[hypermax: trial 1 runs again: its last run was interrupted")
    assert notes[-1].startswith("[hypermax: trial 1 runs on Dask worker"), notes
    assert "cluster:" not in stdout  # the other worker could run it: nothing to wait for
    assert_none_alive(marker)


def hanging(tmp_path: Path, marker: str) -> FunctionSpec:
    """Trials that write ``up-<trial id>`` into ``tmp_path`` and hang until they are stopped."""
    return FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )


@pytest.fixture
def leaving(cluster: LocalDaskCluster) -> Iterator[subprocess.Popen[bytes]]:
    """One more worker, the one that offers ``LEAVING`` (which :data:`LEAVING_TRIALS` hold):
    the test makes it end; it is gone from the cluster after the test."""
    extra = cluster.add_worker("--resources", "LEAVING=1")
    try:
        cluster.wait_for_workers(len(cluster.workers))
        yield extra
    finally:
        extra.kill()
        extra.wait()
        cluster.workers.remove(extra)


#: the resources of trials that only the worker of :func:`leaving` runs
LEAVING_TRIALS = {"LEAVING": 1.0}


def test_a_worker_asked_to_stop_stops_its_trials_and_ends(cluster, leaving, tmp_path, marker):
    """``dask worker`` given SIGTERM (Ctrl-C, a service stopped) closes, and waits for its tasks'
    threads as it does: it stops their trials down the kill ladder, then ends. Before, the trials
    ran on, lost to hypermax, until Dask's 30 s wait for the threads was over."""
    section = ClusterSpec(cluster.address, resources=LEAVING_TRIALS)
    runner = DaskRunner(hanging(tmp_path, marker), tmp_path, section)
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        trial = sentinel(tmp_path / "up-1")[0]
        leaving.send_signal(signal.SIGTERM)
        outcome, _ = RunnerContract.outcome(runner, 1)
        wait_until(lambda: not pid_alive(trial), 10, "the worker to stop the trial")
        assert leaving.wait(10) is not None
    finally:
        runner.close()
    assert outcome.state is TrialState.INTERRUPTED
    assert outcome.reason is not None and outcome.reason.startswith("lost with its Dask worker")
    assert_none_alive(marker)


def test_a_trial_whose_worker_ended_before_its_start_was_heard_is_lost_with_it(
    cluster, leaving, tmp_path, marker
):
    """A worker that ends while its trial's start event is on its way to hypermax: the runner,
    which listens for the removal of a worker from the start of its first trial there on, finds
    that it was removed already. Before, it listened too late, and the trial, whose task waits
    for a worker that offers what it holds, never ended. Here the start event is held back
    until the scheduler has removed the worker."""
    section = ClusterSpec(cluster.address, resources=LEAVING_TRIALS)
    runner = DaskRunner(hanging(tmp_path, marker), tmp_path, section)
    try:
        held = hold_starts(runner)
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        trial = sentinel(tmp_path / "up-1")[0]
        wait_until(lambda: held, OUTCOME_TIMEOUT, "the start event")
        leaving.send_signal(signal.SIGTERM)
        leaving.wait(OUTCOME_TIMEOUT)
        cluster.wait_for_workers(len(cluster.workers) - 1)  # the scheduler removed it
        let_starts_through(runner, held)
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.INTERRUPTED
    assert outcome.reason == f"lost with its Dask worker {held[0][1]['worker']}"
    assert not pid_alive(trial)
    assert_none_alive(marker)


def _open_fifo_to_write(path: str) -> int | None:
    """A write end of the named pipe at ``path`` once a reader has it open; None before."""
    try:
        return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
            raise
        return None


def test_a_worker_that_closes_starts_no_trial(cluster, leaving, tmp_path, marker, monkeypatch):
    """A worker given SIGTERM as it takes a trial starts it no more: its stream to the scheduler
    is closed, and hypermax would never hear where the trial ran, nor that it was lost with the
    worker. Here the task, its attempt claimed, is held where it reads the runner's probe (a
    named pipe) until the scheduler has let the worker go."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)  # the lost task never answers
    section = ClusterSpec(cluster.address, resources=LEAVING_TRIALS)
    runner = DaskRunner(hanging(tmp_path, marker), tmp_path, section)
    try:
        probe = runner._probe(tmp_path / "trials")
        assert probe is not None
        path, token = probe
        os.remove(path)
        os.mkfifo(path)
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        attempt = runner._attempts.of_trial(1)
        assert attempt is not None
        where = claim_path(runner.topic, attempt.key)
        claimed = lambda: runner.client.get_metadata(where, default=None)  # noqa: E731
        wait_until(claimed, OUTCOME_TIMEOUT, "the task to claim its attempt")
        # held: it has the pipe open to read (a writer opened without blocking), and it reads
        # nothing until the token is written
        probe_fd = wait_until(
            lambda: _open_fifo_to_write(path), OUTCOME_TIMEOUT, "the task to open the probe"
        )
        try:
            leaving.send_signal(signal.SIGTERM)
            cluster.wait_for_workers(len(cluster.workers) - 1)  # the scheduler let it go
            os.write(probe_fd, token.encode())  # the task goes on
        finally:
            os.close(probe_fd)
        leaving.wait(OUTCOME_TIMEOUT)
    finally:
        runner.close()
    assert not (tmp_path / "up-1").exists()
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    notes = [line for line in log.splitlines() if line]
    assert re.fullmatch(r"\[hypermax: trial 1 runs on Dask worker tcp://[\d.:]+\]", notes[0]), log
    assert notes[1:] == ["[hypermax: the Dask cluster did not answer in time]"]  # at close
    assert_none_alive(marker)


def test_a_trial_whose_only_able_worker_dies_waits_for_another_saying_so(
    cluster, tmp_path, write_spec, marker
):
    section = {"scheduler": cluster.address, "resources": {SLOT: 1}}
    doc = search_doc(tmp_path, marker, "first_run_hangs", section, iterations=1)
    search = start_search(write_spec(doc))
    lines: list[str] = []
    errors: list[str] = []
    readers = [
        threading.Thread(target=lambda: lines.extend(search.stdout or ()), daemon=True),
        threading.Thread(target=lambda: errors.extend(search.stderr or ()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    note = (
        f"hypermax: cluster: the one worker of {cluster.address} does not offer the resources "
        f"each trial holds ({SLOT}=1); the trials wait for one that does\n"
    )
    try:
        _, worker_pid = sentinel(tmp_path / "up")
        (victim,) = [worker for worker in cluster.workers if worker.pid == worker_pid]
        victim.kill()  # the only worker that offers a SLOT
        victim.wait()
        try:
            wait_until(lambda: note in lines, OUTCOME_TIMEOUT, "a note that the trial waits")
        finally:
            cluster.replace_worker(victim)  # one that offers a SLOT again: the trial runs there
        search.wait(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    for reader in readers:
        reader.join()
    assert search.returncode == 0, "".join(errors)
    assert lines.count(note) == 1
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert finished[1]["state"] == "ok"
    assert_none_alive(marker)


# -- the runner's own promises ----------------------------------------------------------------
def test_code_goes_to_and_files_come_back_from_a_worker_that_does_not_share_them(
    cluster, tmp_path, marker
):
    project = tmp_path / "project"
    project.mkdir()
    (project / "shipped.py").write_text(
        "import pathlib\n\n"
        "def train(params):\n"
        "    pathlib.Path('plot.txt').write_text('drawn')\n"
        "    print('hello from the shipped module', flush=True)\n"
        "    return {'loss': params['x'], 'plot': 'plot.txt'}\n"
    )
    function = FunctionSpec(
        type="python_function", module="shipped", name="train", env={MARKER_ENV: marker}
    )
    runner = DaskRunner(function, project, ClusterSpec(cluster.address), share_files=False)
    try:
        (project / "shipped.py").unlink()  # the workers cannot use it in place any more
        trial_dir = tmp_path / "results" / "trials" / "1"
        log_path = tmp_path / "results" / "logs" / "trial_1.log"
        runner.submit(Proposal(1, {"x": 0.25}, {}), trial_dir, log_path)
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 0.25, "plot": "plot.txt"}
    assert outcome.attachments == ("plot.txt",)
    assert (trial_dir / "plot.txt").read_text() == "drawn"
    assert json.loads((trial_dir / ".hypermax_params.json").read_text()) == {"x": 0.25}
    log = log_path.read_text()
    assert "runs on Dask worker" in log and "hello from the shipped module" in log
    assert list(cluster.folder.glob("worker*/**/hypermax-code/*/folder/shipped.py"))
    assert not list(cluster.folder.glob("worker*/**/hypermax-trials/*"))  # scratch removed


def test_an_executable_missing_on_the_worker_fails_the_trial_saying_where(cluster, tmp_path):
    missing = str(tmp_path / "not-on-the-workers")
    runner = DaskRunner(
        FunctionSpec(type="executable", command=(missing,)), tmp_path, ClusterSpec(cluster.address)
    )
    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "logs" / "t1")
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("cannot start: ")
    assert missing in outcome.reason
    assert " (on Dask worker tcp://127.0.0.1:" in outcome.reason


def test_a_scheduler_that_does_not_answer_is_one_clear_error(tmp_path):
    cluster = ClusterSpec("tcp://127.0.0.1:9", lost_scheduler_wait=0.5)
    with pytest.raises(SearchFailed) as caught:
        DaskRunner(FunctionSpec(**executable("good")), tmp_path, cluster, "search.json")
    message = str(caught.value)
    assert message.startswith(
        "search.json: cluster.scheduler: no Dask scheduler answers at tcp://127.0.0.1:9 "
        "within 0.5 s ("
    )
    assert "\n" not in message


def test_a_connection_that_breaks_and_comes_back_at_once_runs_the_trials_again(
    cluster, tmp_path, marker
):
    """A blip between two polls: the client is connected again before the runner looks. The
    trial lost with the connection comes back (it hung the search, held for a scheduler that
    never seemed lost), and the trials after it run and report as before."""
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang_unless_reporting",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    proxy = Proxy(cluster.address)
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(proxy.address))
        try:
            RunnerContract.submit(runner, tmp_path, 1, x=0.5)
            trial = sentinel(tmp_path / "up-1")[0]
            comm = runner.client.scheduler_comm
            # the client comes back once the scheduler is done with its old connection: Dask's
            # end of the old one, when it comes after the new one is made, drops the new one's
            # stream (the client is dropped at its next heartbeat, and the trial sent then lost)
            proxy.drop(hold=True)
            _wait_until_forgotten(cluster, runner.client.id)
            proxy.release()
            wait_until(
                lambda: (
                    runner.client.status == "running"
                    and runner.client.scheduler_comm not in (None, comm)
                ),
                OUTCOME_TIMEOUT,
                "the client to connect again",
            )
            lost, _ = RunnerContract.outcome(runner, 1)
            RunnerContract.submit(runner, tmp_path, 2, x=1.0)
            outcome, events = RunnerContract.outcome(runner, 2)
        finally:
            runner.close()
    finally:
        proxy.close()
    assert (lost.state, lost.reason) == (
        TrialState.INTERRUPTED,
        "lost the connection to the Dask scheduler",
    )
    assert outcome.state is TrialState.OK
    assert Report(2, 1, {"loss": 0.5}) in events  # the events' topic is listened to again
    wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop trial 1")
    assert_none_alive(marker)


def _wait_until_forgotten(cluster: LocalDaskCluster, client_id: str) -> None:
    """Wait until the scheduler of ``cluster`` has nothing left of the client ``client_id`` (its
    state, its stream), whose connection broke: it is done with that connection. A client that
    connects again sooner may lose its new connection to Dask's end of the old one."""
    from distributed import Client

    def has_client(client: str, dask_scheduler: Any) -> bool:  # made here: travels by value
        return client in dask_scheduler.clients or client in dask_scheduler.client_comms

    with Client(cluster.address, set_as_default=False) as direct:
        wait_until(
            lambda: not direct.run_on_scheduler(has_client, client_id),
            OUTCOME_TIMEOUT,
            "the scheduler to be done with the old connection",
        )


def test_trials_sent_to_a_scheduler_started_again_without_workers_wait_saying_so(
    cluster, tmp_path, marker
):
    """A scheduler started again at its address has no worker until they join it again (Dask's
    workers end with their scheduler): the trials sent there wait, and hypermax says why."""
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    proxy = Proxy(cluster.address)
    again = LocalDaskCluster(tmp_path / "again", workers=0)
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(proxy.address))
        try:
            RunnerContract.submit(runner, tmp_path, 1, x=0.5)
            trial = sentinel(tmp_path / "up-1")[0]
            proxy.retarget(again.address)
            proxy.drop()
            lost, events = RunnerContract.outcome(runner, 1)
            notes, waited = _waits_saying_so(runner, tmp_path, 2, x=0.5)
        finally:
            runner.close()
    finally:
        proxy.close()
        again.stop()
    assert lost.state is TrialState.INTERRUPTED and waited.state is TrialState.INTERRUPTED
    said = [e.text for e in events if isinstance(e, RunnerNote)]
    assert [text for text in said if "wait for one" in text] == []  # trial 1 is not sent again
    assert notes == [
        RunnerNote(f"cluster: no worker has joined {proxy.address} yet; the trials wait for one")
    ]
    wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop trial 1")
    assert_none_alive(marker)


def test_a_scheduler_lost_for_a_while_is_said_to_be_lost_then_back(cluster, tmp_path):
    """While the scheduler does not answer, the search says so at once (its trials are lost and
    it waits for up to ``lost_scheduler_wait``), rather than keep silent for that long; and it
    says when the scheduler answers again."""
    function = FunctionSpec(
        type="python_function", src=str(OBJECTIVES / "on_worker.py"), name="where"
    )
    nowhere = socket.socket()  # a port bound and not listened on: connections are refused
    nowhere.bind(("127.0.0.1", 0))
    proxy = Proxy(cluster.address)
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(proxy.address, lost_scheduler_wait=90))
        try:
            proxy.retarget(f"tcp://127.0.0.1:{nowhere.getsockname()[1]}")
            proxy.drop()
            lost = wait_until(lambda: _notes(runner), OUTCOME_TIMEOUT, "a note that it is lost")
            _wait_until_forgotten(cluster, runner.client.id)
            proxy.retarget(cluster.address)
            back = wait_until(lambda: _notes(runner), OUTCOME_TIMEOUT, "a note that it is back")
            RunnerContract.submit(runner, tmp_path, 1, x=0.5)
            outcome, _ = RunnerContract.outcome(runner, 1)
        finally:
            runner.close()
    finally:
        proxy.close()
        nowhere.close()
    assert lost == [
        RunnerNote(
            f"cluster: lost the Dask scheduler at {proxy.address}: the trials running are lost; "
            "waiting up to 90 s for it to answer (cluster.lost_scheduler_wait)"
        )
    ]
    assert back == [RunnerNote(f"cluster: the Dask scheduler at {proxy.address} answers again")]
    assert outcome.state is TrialState.OK


def test_a_scheduler_away_for_a_while_is_tried_again_and_again(cluster, tmp_path):
    """Dask tries to reach a lost scheduler in one try as long as the whole wait, backing off
    between its attempts ever longer, up to the time left: 5 s and more once the scheduler
    was away for 5 s, so one started again was answered 5-15 s late, and twenty refused
    attempts took an hour. hypermax's tries are short, each with Dask's backoff from its start:
    the twenty come within seconds, and the scheduler is heard again as soon as it is back."""
    function = FunctionSpec(
        type="python_function", src=str(OBJECTIVES / "on_worker.py"), name="where"
    )
    import dask.config

    refused = _Counted("Could not connect to")  # Dask says so of each attempt refused
    proxy = Proxy(cluster.address)  # the scheduler's address, which refuses once it is closed
    port = int(proxy.address.rsplit(":", 1)[1])
    dask_comm = logging.getLogger("distributed.comm.core")
    level = dask_comm.level
    try:
        # the client's look at the scheduler every 2 s would make attempts of its own
        with dask.config.set({"distributed.client.scheduler-info-interval": "1h"}):
            runner = DaskRunner(
                function, tmp_path, ClusterSpec(proxy.address, lost_scheduler_wait=90)
            )
        dask_comm.addHandler(refused)
        dask_comm.setLevel(logging.DEBUG)
        try:
            proxy.close()
            wait_until(lambda: _notes(runner), OUTCOME_TIMEOUT, "a note that it is lost")
            wait_until(lambda: refused.count >= 20, OUTCOME_TIMEOUT, "20 attempts to reconnect")
            _wait_until_forgotten(cluster, runner.client.id)
            backoffs = [float(args[1]) for args in refused.args]  # those the closed port caused
            proxy = Proxy(cluster.address, port)
            back = wait_until(lambda: _notes(runner), OUTCOME_TIMEOUT, "a note that it is back")
        finally:
            dask_comm.removeHandler(refused)
            dask_comm.setLevel(level)
            runner.close()
    finally:
        proxy.close()
    assert back == [RunnerNote(f"cluster: the Dask scheduler at {proxy.address} answers again")]
    # Dask waits at most what is left of a try between its attempts: no try grew longer
    assert max(backoffs) <= TRY_SECONDS, backoffs


class _Counted(logging.Handler):
    """Counts the records whose message begins with ``start``, and keeps their arguments."""

    def __init__(self, start: str) -> None:
        super().__init__(logging.DEBUG)
        self.start = start
        self.count = 0
        self.args: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(self.start):
            self.count += 1
            self.args.append(record.args)


def _notes(runner: DaskRunner) -> list[RunnerNote]:
    return [e for e in runner.poll(0.2) if isinstance(e, RunnerNote)]


def test_a_lost_scheduler_ends_the_search_with_exit_code_1(tmp_path, write_spec, marker):
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    try:
        doc = search_doc(
            tmp_path, marker, "hang", {"scheduler": own.address, "lost_scheduler_wait": 1}
        )
        search = start_search(write_spec(doc))
        try:
            trial = sentinel(tmp_path / "up-1")[0]
            assert own.scheduler is not None
            own.scheduler.kill()
            _, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
        finally:
            search.kill()
    finally:
        own.stop()
    assert search.returncode == 1
    assert stderr == (
        f"hypermax: lost the Dask scheduler at {own.address}: no answer for 1 s "
        "(cluster.lost_scheduler_wait)\n"
    )
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert finished[1]["state"] == "interrupted"
    assert finished[1]["reason"] == "lost the connection to the Dask scheduler"
    wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the trial to end with its worker")
    assert_none_alive(marker)


def test_a_tls_cluster_runs_trials_with_the_security_settings(tmp_path, marker):
    if subprocess.run(["openssl", "version"], capture_output=True).returncode != 0:
        pytest.skip("needs openssl to make certificates")
    ca, cert, key = make_certificates(tmp_path)
    own = LocalDaskCluster(tmp_path / "cluster", workers=1, tls=(ca, cert, key))
    try:
        assert own.address.startswith("tls://")
        security = {
            "tls_ca_file": str(ca),
            "tls_client_cert": str(cert),
            "tls_client_key": str(key),
        }
        function = FunctionSpec(**executable("good"), env={MARKER_ENV: marker})
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address, security=security))
        try:
            runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "logs" / "1")
            outcome, _ = RunnerContract.outcome(runner, 1)
        finally:
            runner.close()
        assert outcome.state is TrialState.OK and outcome.result == {
            "loss": 0.25,
            "plot": "plot.png",
        }
        with pytest.raises(SpecError) as without_tls:  # said at once, not after the wait
            DaskRunner(function, tmp_path, ClusterSpec(own.address, lost_scheduler_wait=30))
        assert without_tls.value.problems == [
            (
                "cluster.security",
                "tls:// needs the TLS files (tls_ca_file, tls_client_cert, tls_client_key), here "
                "or in Dask's configuration; Dask says: TypeError: TLS expects a `ssl_context` "
                "argument of type ssl.SSLContext (perhaps check your TLS configuration?) Instead "
                "got None",
            )
        ]
    finally:
        own.stop()


# -- hypermax validate --connect --------------------------------------------------------------
def test_validate_connect_says_what_the_cluster_offers(cluster, tmp_path, write_spec, marker):
    doc = search_doc(
        tmp_path, marker, "where", {"scheduler": cluster.address, "resources": {SLOT: 1}}
    )
    spec = write_spec(doc)
    result = run_cli("validate", str(spec), "--connect", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"{cluster.address}: answers; 2 workers, 4 threads",
        "1 of them offer the resources each trial holds (SLOT=1)",
    ]


def test_a_workers_address_given_as_the_scheduler_is_one_clear_error(
    cluster, tmp_path, write_spec, marker
):
    """A worker answers as Dask does, and refuses the client's first call: that is said, not
    that the tcp:// address needs TLS files."""
    from distributed import Client

    with Client(cluster.address, timeout=30) as client:
        worker = sorted(client.scheduler_info()["workers"])[0]
    spec = write_spec(search_doc(tmp_path, marker, "where", {"scheduler": worker}))
    result = run_cli_here("validate", str(spec), "--connect", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        f"search.json: cluster.scheduler: the Dask server at {worker} is not a scheduler (a "
        "worker's address?); Dask says: TypeError: "
    ), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_validate_connect_fails_when_no_scheduler_answers(tmp_path, write_spec, marker):
    doc = search_doc(
        tmp_path, marker, "where", {"scheduler": "tcp://127.0.0.1:9", "lost_scheduler_wait": 0.5}
    )
    spec = write_spec(doc)
    result = run_cli("validate", str(spec), "--connect", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (  # Dask says it timed out, whatever the cause
        "search.json: cluster.scheduler: no Dask scheduler answers at tcp://127.0.0.1:9 within "
        "0.5 s (connection refused: nothing listens there)\n"
    )
    no_cluster = write_spec({k: v for k, v in doc.items() if k != "cluster"}, "local.json")
    result = run_cli("validate", str(no_cluster), "--connect", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "hypermax validate: --connect: local.json has no cluster section\n"


# -- the driver runs a lost trial again ---------------------------------------------------------
LOST = "lost with its Dask worker tcp://10.0.0.7:40000"


def lose(runner: FakeRunner, trial_id: int) -> None:
    runner.running.pop(trial_id)
    runner.queued.append(
        Outcome(trial_id, TrialState.INTERRUPTED, reason=LOST, kill_reason=KillReason.INTERRUPT)
    )


def test_the_driver_runs_a_lost_trial_again_at_most_lost_worker_reruns_times(tmp_path):
    def lose_trial_1(runner: FakeRunner) -> None:
        if 1 in runner.running:
            lose(runner, 1)

    cluster = ClusterSpec("tcp://10.0.0.7:8786", lost_worker_reruns=2)
    search = Search(tmp_path, FakeRunner(lose_trial_1), iterations=2, cluster=cluster)
    outcome = search.run()
    assert search.runner.submitted == [1, 1, 1, 2, 3]  # the same trial twice more, then no more
    assert (
        outcome.done == 2 and {t.id: t.state for t in outcome.trials}[1] is TrialState.INTERRUPTED
    )
    started = [r for r in search.records() if r["event"] == "trial_started" and r["id"] == 1]
    assert [r["params"] for r in started] == [{"x": 1}] * 3
    assert [t.id for t in search.optimizer.told] == [2, 3]  # a lost trial teaches nothing
    assert [c for c in search.optimizer.calls if c[0] == "ask"] == [("ask", i) for i in (1, 2, 3)]
    messages = [e.text for e in search.events if isinstance(e, ev.Message)]
    assert messages == [
        f"trial 1 {LOST}; running it again (1 of 2)",
        f"trial 1 {LOST}; running it again (2 of 2)",
        f"trial 1 {LOST}; not run again in this search",
    ]


def test_the_driver_does_not_run_again_what_it_stopped_itself(tmp_path):
    def stop_once_running(runner: FakeRunner) -> None:
        if runner.running and not runner.cancelled:
            search.driver.request(Command.INTERRUPT)

    runner, cluster = FakeRunner(stop_once_running, auto=False), ClusterSpec("tcp://10.0.0.7:8786")
    search = Search(tmp_path, runner, iterations=3, cluster=cluster)
    outcome = search.run()
    assert outcome.interrupted and search.runner.submitted == [1]
    assert {t.id: t.state for t in outcome.trials} == {1: TrialState.INTERRUPTED}
    assert not [e for e in search.events if isinstance(e, ev.Message)]


def test_the_driver_does_not_run_again_what_the_runner_stops_when_the_search_fails(tmp_path):
    def lose_the_cluster(runner: FakeRunner) -> None:
        if runner.running:
            raise SearchFailed("hypermax: lost the Dask scheduler")

    runner, cluster = FakeRunner(lose_the_cluster, auto=False), ClusterSpec("tcp://10.0.0.7:8786")
    search = Search(tmp_path, runner, iterations=3, cluster=cluster)
    with pytest.raises(SearchFailed):
        search.run()
    finished = [r for r in search.records() if r["event"] == "trial_finished"]
    assert [(r["id"], r["state"]) for r in finished] == [(1, "interrupted")]
    assert search.runner.submitted == [1]
    assert not [e for e in search.events if isinstance(e, ev.Message)]


# -- what travels with a task -------------------------------------------------------------------
def test_the_code_bundle_holds_what_import_finds_and_an_outside_src(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for folder in (project / "pkg" / "sub", project / "data", project / ".hidden", elsewhere):
        folder.mkdir(parents=True)
    files = ("model.py", "pkg/__init__.py", "pkg/sub/layers.py", "data/notes.py", ".hidden/x.py")
    for path in files:  # data/ is no package: import finds nothing there
        (project / path).write_text(f"# {path}\n")
    (project / "search.json").write_text("{}")
    (elsewhere / "train.py").write_text("def train(params):\n    return 0.0\n")
    function = FunctionSpec(type="python_function", src=str(elsewhere / "train.py"), name="train")
    bundle = dask_files.code_bundle(function, project)
    assert bundle is not None
    assert sorted(bundle.sources()) == [
        "folder/model.py",
        "folder/pkg/__init__.py",
        "folder/pkg/sub/layers.py",
        "src/train.py",
    ]
    assert dask_files.place_code(bundle, tmp_path / "cache") == (
        project.resolve(),
        str((elsewhere / "train.py").resolve()),
    )  # the same files at the same paths: in place
    (elsewhere / "train.py").write_text("def train(params):\n    return 1.0\n")
    folder, src = dask_files.place_code(bundle, tmp_path / "cache")
    assert folder == tmp_path / "cache" / bundle.digest / "folder"
    assert Path(str(src)).read_text() == "def train(params):\n    return 0.0\n"
    assert (folder / "pkg" / "sub" / "layers.py").read_text() == "# pkg/sub/layers.py\n"
    assert dask_files.code_bundle(FunctionSpec(**executable("good")), project) is None


def test_the_code_bundle_holds_the_folder_without_init_of_a_module(tmp_path):
    """``"module": "nets.model"``, nets/ a folder without ``__init__.py`` (a namespace package,
    which Python imports and validate finds): its files travel, as a package's; other folders
    without one stay."""
    for path in ("nets/model.py", "nets/blocks/conv.py", "data/notes.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f"# {path}\n")
    function = FunctionSpec(type="python_function", module="nets.model", name="train")
    bundle = dask_files.code_bundle(function, tmp_path)
    assert bundle is not None
    assert sorted(bundle.sources()) == ["folder/nets/blocks/conv.py", "folder/nets/model.py"]


@pytest.mark.timeout(10)
def test_the_code_bundle_leaves_out_what_is_no_regular_file(tmp_path):
    """A named pipe ``*.py`` in a package beside the spec blocked the search's start for ever,
    reading it; a dangling symlink ended it with an unexpected error."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    os.mkfifo(tmp_path / "pkg" / "pipe.py")
    (tmp_path / "pkg" / "gone.py").symlink_to(tmp_path / "nowhere.py")
    function = FunctionSpec(type="python_function", module="pkg", name="train")
    bundle = dask_files.code_bundle(function, tmp_path)
    assert bundle is not None
    assert sorted(bundle.sources()) == ["folder/pkg/__init__.py"]


def test_code_too_large_to_send_is_a_spec_error(tmp_path, monkeypatch):
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    monkeypatch.setattr(dask_files, "CODE_CAP_BYTES", 100)
    function = FunctionSpec(type="python_function", module="big", name="train")
    with pytest.raises(SpecError) as caught:
        DaskRunner(function, tmp_path, ClusterSpec("tcp://127.0.0.1:9"), "search.json")
    assert str(caught.value) == (
        "search.json: function: the spec's folder holds more than 0 MiB of Python files to send "
        f"to the Dask workers ({tmp_path.resolve()})"
    )


def test_a_worker_that_sees_the_results_folder_read_only_does_not_write_there(tmp_path):
    """A shared filesystem mounted read-only on a worker: it sees hypermax's probe, but runs its
    trials in a folder of its own and sends their files back; in place, every trial failed
    (cannot prepare the trial's files: Read-only file system)."""
    trials = tmp_path / "trials"
    probe = dask_files.write_probe(trials)
    assert probe is not None and dask_files.reads_probe(probe)
    code = f"from hypermax.execution import dask_files; print(dask_files.reads_probe({probe!r}))"
    read_only = f"mount --bind {trials} {trials} && mount -o remount,bind,ro {trials}"
    seen = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'{read_only} && exec "$0" -c "$1"', sys.executable, code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if seen.returncode and not seen.stdout:  # no mount namespace to be had here
        pytest.skip(f"cannot mount the folder read-only: {seen.stderr.strip()}")
    assert seen.stdout == "False\n", seen.stderr


def test_files_sent_back_stay_inside_the_trial_folder(tmp_path):
    sent = dask_files.TrialFiles(
        b"output\n",
        files=(("plot.png", b"png"), ("deep/er.txt", b"x"), ("../escape", b"!"), ("/abs", b"!")),
        left=("model.bin",),
        kept_at="/scratch/trial",
    )
    trial_dir, log = tmp_path / "trials" / "1", tmp_path / "logs" / "trial_1.log"
    dask_files.restore_files(sent, trial_dir, log, "tcp://10.0.0.7:1234")
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["logs/trial_1.log", "trials/1/deep/er.txt", "trials/1/plot.png"]
    assert log.read_text() == (
        "output\n\n[hypermax: 1 file of the trial's folder was too large to send back; it "
        "stays on Dask worker tcp://10.0.0.7:1234 in /scratch/trial: model.bin]\n"
    )


def test_a_worker_keeps_only_the_files_too_large_to_send_back(tmp_path, monkeypatch):
    """What went back is not kept twice on the worker's disk: its folder keeps the files left
    there (the log names them), not copies of those sent, nor of the log."""
    monkeypatch.setattr(dask_files, "SEND_BACK_CAP_BYTES", 1000)
    scratch = tmp_path / "hypermax-trials" / "key"
    trial_dir, log = scratch / "trial", scratch / "trial.log"
    (trial_dir / "deep").mkdir(parents=True)
    (trial_dir / "plot.png").write_bytes(b"p" * 10)
    (trial_dir / "deep" / "er.txt").write_bytes(b"x" * 10)
    (trial_dir / "model.bin").write_bytes(b"m" * 2000)
    log.write_bytes(b"output\n")
    sent = dask_files.gather_files(trial_dir, log, scratch)
    assert sorted(rel for rel, _ in sent.files) == ["deep/er.txt", "plot.png"]
    assert (sent.left, sent.kept_at, sent.log) == (("model.bin",), str(trial_dir), b"output\n")
    kept = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    assert kept == ["trial/model.bin"]


def test_early_stopping_decides_on_the_driver_and_stops_trials_on_the_workers(
    cluster, tmp_path, write_spec
):
    """The median rule across the cluster: reports cross from the workers to the driver while
    the trials run, its stop decisions cross back, and each stopped trial ends itself on its
    worker at its next report (its ``finally`` ran), as it does on this machine."""
    from test_early_stopping import EPOCHS, STOPPED_MEDIAN, XS, _python_spec

    # no report waits for its verdict here (it crosses the network): epochs of 30 ms leave the
    # stop 0.3 s to reach a losing trial before its last epoch on a loaded machine
    doc = _python_spec("median", env={"EPOCH_SECONDS": "0.03"})
    doc["cluster"] = {"scheduler": cluster.address}
    spec = write_spec(doc)
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "results" / "median"
    finished = finished_records(folder)
    assert sorted(finished) == list(range(1, len(XS) + 1))
    stopped = {i for i, r in finished.items() if r["state"] == "stopped"}
    assert stopped == set(STOPPED_MEDIAN)
    reported = [r for r in journal_records(folder) if r["event"] == "trial_reported"]
    for trial_id, record in finished.items():
        cleaned_up = int((folder / "trials" / str(trial_id) / "cleaned_up").read_text())
        log = (folder / "logs" / f"trial_{trial_id}.log").read_text()
        assert f"[hypermax: trial {trial_id} runs on Dask worker tcp://127.0.0.1:" in log
        steps = [r["step"] for r in reported if r["id"] == trial_id]
        if trial_id not in stopped:
            assert (record["state"], record["step"], cleaned_up) == ("ok", EPOCHS, EPOCHS)
            assert steps == list(range(1, EPOCHS + 1))
            continue
        loss, median, others = STOPPED_MEDIAN[trial_id]
        assert record["reason"] == (
            f"stopped at step 1: loss {loss:g} worse than {median:g} (median of {others} at step 1)"
        )
        # it ends at its first report after the stop reached its worker: the next one, unless
        # the stop's trip took longer than an epoch on a loaded machine
        assert record["exit_code"] == 0 and record["step"] < cleaned_up < EPOCHS
        assert steps == list(range(1, record["step"] + 1))
        assert record["loss"] == XS[trial_id - 1] + 1 / record["step"]
