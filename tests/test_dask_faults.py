"""A Dask cluster's failures as users meet them: addresses that are not a scheduler, a cluster
whose workers cannot take the trials, workers that go away.

A real ``dask scheduler`` and workers on 127.0.0.1 (see ``dask_cluster.py``), stopped by pid
at the end: a test that stops, pauses or kills a worker or the scheduler, or leaves on the
scheduler what another test would see, starts its own cluster; the others share one of the
module's two (:func:`scheduler_alone`, :func:`one_worker`), and a worker one of them adds is gone
again after it.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")

from conftest import OBJECTIVES, finished_records, run_cli, run_cli_here, run_hypermax_here
from dask_cluster import LocalDaskCluster
from fake_trials.helpers import MARKER_ENV, pid_alive, wait_until
from runner_contract import OUTCOME_TIMEOUT, RunnerContract
from test_dask import SENTINELS_ENV, search_doc, sentinel, start_search

import hypermax
from hypermax.errors import SearchFailed
from hypermax.execution import dask_files, dask_scheduler_calls, dask_stops
from hypermax.execution.dask import DaskRunner
from hypermax.spec import ClusterSpec, FunctionSpec
from hypermax.trial import KillReason, Outcome, Proposal, Report, RunnerNote, TrialState


@pytest.fixture(scope="module")
def scheduler_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDaskCluster]:
    """A scheduler without workers, shared by the module's tests that need none or add the
    only one they need (and take it away again)."""
    local = LocalDaskCluster(tmp_path_factory.mktemp("alone"), workers=0)
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDaskCluster]:
    """A scheduler and one worker of two threads, shared by the module's tests that leave both
    as they found them."""
    local = LocalDaskCluster(tmp_path_factory.mktemp("one"), workers=1)
    try:
        yield local
    finally:
        local.stop()


@contextlib.contextmanager
def added_worker(cluster: LocalDaskCluster, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """One more worker of ``cluster`` (``options``: more ``dask worker`` options) while inside;
    it is stopped, and gone from the scheduler, as the block ends."""
    worker = cluster.add_worker(*options)
    try:
        cluster.wait_for_workers(len(cluster.workers))
        yield worker
    finally:
        cluster.remove_worker(worker)


@pytest.fixture
def web_server() -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 (a port that accepts, and speaks no Dask): its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    # its loop looks for shutdown() every poll_interval (0.5 s by default: the teardown's wait)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_validate_connect_to_a_port_that_is_no_scheduler_fails_in_its_time(
    tmp_path, write_spec, marker, web_server
):
    doc = search_doc(
        tmp_path, marker, "where", {"scheduler": web_server, "lost_scheduler_wait": 0.5}
    )
    result = run_cli("validate", str(write_spec(doc)), "--connect", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        f"search.json: cluster.scheduler: no Dask scheduler answers at {web_server} within 0.5 s "
        f"(TimeoutError: {SILENT})\n"
    )


#: what hypermax says of an address that takes connections and does not answer
SILENT = (
    "something takes connections there but does not answer as a Dask scheduler does: "
    "a scheduler that hangs (stopped, overloaded), or another server"
)


def test_a_scheduler_that_hangs_is_not_said_to_be_another_server(tmp_path, write_spec, marker):
    """A stopped (or overloaded) scheduler takes connections and does not answer, as another
    server may: hypermax names both, not the other server alone."""
    own = LocalDaskCluster(tmp_path / "cluster", workers=0)
    assert own.scheduler is not None
    try:
        cluster = {"scheduler": own.address, "lost_scheduler_wait": 0.5}
        doc = search_doc(tmp_path, marker, "where", cluster)
        own.scheduler.send_signal(signal.SIGSTOP)
        try:
            result = run_cli_here("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)
        finally:
            own.scheduler.send_signal(signal.SIGCONT)
    finally:
        own.stop()
    assert result.returncode == 1
    assert result.stderr.endswith(f"within 0.5 s (TimeoutError: {SILENT})\n"), result.stderr


def test_a_scheduler_name_that_does_not_resolve_is_said_to(tmp_path, write_spec, marker):
    """A mistyped host name waits as an absent scheduler does (a name may come to resolve, a
    cluster's service starting), then says the name does not resolve, not that it timed out."""
    cluster = {"scheduler": "tcp://no-such-scheduler.invalid:8786", "lost_scheduler_wait": 0.5}
    doc = search_doc(tmp_path, marker, "where", cluster)
    result = run_cli_here("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(
        "search.json: cluster.scheduler: no Dask scheduler answers at "
        "tcp://no-such-scheduler.invalid:8786 within 0.5 s: the name no-such-scheduler.invalid "
        "does not resolve ("
    ), result.stderr


def test_a_scheduler_given_by_option_that_does_not_answer_names_the_option(
    tmp_path, write_spec, marker
):
    """It blamed cluster.scheduler in the spec, which holds another address. Nothing answering
    is exit 1 wherever the address came from: well-formed, it may answer later (the
    scheduler down, a name not yet served), which is no mistake in what was written."""
    cluster = {"scheduler": "tcp://127.0.0.1:8786", "lost_scheduler_wait": 0.5}
    doc = search_doc(tmp_path, marker, "where", cluster)
    address = "tcp://no-such-scheduler.invalid:8786"
    spec = str(write_spec(doc))
    for command in (["validate", spec, "--connect"], ["run", spec, "--no-ui"]):
        result = run_cli_here(*command, "--scheduler", address, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(
            f"hypermax {command[0]}: --scheduler: no Dask scheduler answers at {address} within "
            "0.5 s: the name no-such-scheduler.invalid does not resolve ("
        ), result.stderr
    assert len(result.stderr.splitlines()) == 1


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (as the system hands out free ones)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_search_started_before_its_scheduler_says_it_waits_then_runs(
    tmp_path, write_spec, marker
):
    """A job script that starts the scheduler and the search together: the search waits for the
    scheduler, saying so at once (it was silent for all of lost_scheduler_wait), and runs its
    trials once the scheduler answers."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    doc = search_doc(
        tmp_path, marker, "where", {"scheduler": address, "lost_scheduler_wait": 30}, iterations=1
    )
    search = start_search(write_spec(doc))
    try:
        assert search.stderr is not None
        said = search.stderr.readline()  # the sentinel: nothing else runs until it is said
        assert re.fullmatch(
            f"hypermax: cluster: no Dask scheduler answers at {address} yet \\(connection "
            "refused: nothing listens there\\): waiting up to 30 s for one, until "
            "[0-9]{2}:[0-9]{2}:[0-9]{2} \\(cluster.lost_scheduler_wait\\)\n",
            said,
        ), said
        late = LocalDaskCluster(tmp_path / "cluster", workers=1, port=port)
        try:
            _, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
        finally:
            late.stop()
    finally:
        search.kill()
    assert search.returncode == 0, stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert [record["state"] for record in finished.values()] == ["ok"]


def test_ctrl_c_while_waiting_for_the_scheduler_leaves_no_search_behind(
    tmp_path, write_spec, marker
):
    """A search interrupted before its scheduler ever answered never ran: it left a results
    folder whose journal held its header alone (the next run "resumed" it), as a scheduler that
    never answers does not."""
    address = f"tcp://127.0.0.1:{free_port()}"
    doc = search_doc(tmp_path, marker, "where", {"scheduler": address, "lost_scheduler_wait": 30})
    search = start_search(write_spec(doc))
    try:
        assert search.stderr is not None
        said = search.stderr.readline()
        assert said.startswith(f"hypermax: cluster: no Dask scheduler answers at {address} yet")
        search.send_signal(signal.SIGINT)
        _, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    assert (search.returncode, stderr) == (130, "hypermax: interrupted\n")
    assert not (tmp_path / "results").exists()


@pytest.fixture
def answering_server() -> Iterator[str]:
    """A port on 127.0.0.1 that answers whatever comes with an HTTP error (a proxy's, say): its
    address."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                peer, _ = server.accept()
                with peer:
                    peer.recv(65536)
                    peer.sendall(b"HTTP/1.0 426 Upgrade Required\r\ncontent-length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join()


def test_a_port_that_answers_not_as_a_scheduler_is_said_to_at_once(
    tmp_path, write_spec, marker, answering_server
):
    """Dask reads the answer as a frame's length, and cannot make that much room: that is no
    configuration of Dask's to check, nor a wait that ran out."""
    doc = search_doc(tmp_path, marker, "where", {"scheduler": answering_server})
    result = run_cli_here("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(
        f"search.json: cluster.scheduler: something answers at {answering_server}, but not as a "
        "Dask scheduler does ("
    ), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_ctrl_c_ends_a_search_whose_trials_wait_for_a_worker(
    scheduler_alone, tmp_path, write_spec, marker
):
    """No worker ever takes the trials: the interrupt ends them where they wait."""
    cluster = {"scheduler": scheduler_alone.address}
    doc = search_doc(tmp_path, marker, "where", cluster, parallel=2)
    journal = tmp_path / "results" / "onworkers" / "trials.jsonl"
    code, stderr = interrupted_search(
        write_spec(doc),
        lambda: wait_until(lambda: '"id":2' in read(journal), OUTCOME_TIMEOUT, "trial 2 sent"),
    )
    assert code == 130, stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert {i: (r["state"], r["reason"], r["time"]) for i, r in finished.items()} == {
        1: ("interrupted", "interrupted", 0.0),
        2: ("interrupted", "interrupted", 0.0),
    }


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def interrupted_search(spec: Path, until: Callable[[], Any]) -> tuple[int, str]:
    """Start a search of ``spec``, wait ``until()``, Ctrl-C it: its exit code and errors."""
    search = start_search(spec)
    try:
        until()
        search.send_signal(signal.SIGINT)
        _, stderr = search.communicate(timeout=OUTCOME_TIMEOUT)
    finally:
        search.kill()
    return search.returncode, stderr


def test_a_worker_without_hypermax_fails_the_trials_and_stays(
    scheduler_alone, tmp_path, write_spec, marker
):
    """A worker that cannot import hypermax fails each trial saying so; before, it could not
    read the task, dropped its connection and ended, and the trials waited for ever."""
    with worker_without(scheduler_alone, "hypermax", tmp_path):
        cluster = {"scheduler": scheduler_alone.address}
        doc = search_doc(tmp_path, marker, "where", cluster, iterations=2)
        result = run_cli("run", str(write_spec(doc)), "--no-ui", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("hypermax: every trial failed: the Dask task failed: ")
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert sorted(finished) == [1, 2]
    for record in finished.values():
        assert record["state"] == "failed"
        assert record["reason"].startswith("the Dask task failed: ModuleNotFoundError: ")
        assert record["reason"].endswith(
            "(install hypermax on every worker: pip install 'hypermax[dask]')"
        )


#: a ``dask worker`` for the address in argv[1] that cannot import the module named in argv[2]
WORKER_WITHOUT = """
import sys
sys.modules[sys.argv[2]] = None  # import it: ModuleNotFoundError
from dask.cli import run_cli
sys.argv = ["dask", "worker", sys.argv[1], "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
            "--nthreads", "1", "--death-timeout", "60"]
run_cli()
"""


@contextlib.contextmanager
def worker_without(
    cluster: LocalDaskCluster, module: str, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """The only worker of ``cluster`` (one without workers of its own), one that cannot import
    ``module``; stopped by its pid at the end, and gone from the scheduler then (``env``: that
    of :func:`packages_without`)."""
    worker = subprocess.Popen(
        [sys.executable, *(["-S"] if env else []), "-c", WORKER_WITHOUT, cluster.address, module],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cluster.wait_for_workers(1)
        yield
        assert worker.poll() is None  # it read the tasks, and stayed
    finally:
        worker.kill()
        worker.wait()
        cluster.wait_for_workers(0)


def test_versions_that_differ_are_validates_to_tell_and_stay_off_a_searchs_terminal(
    scheduler_alone, tmp_path, write_spec, marker
):
    """Dask's own version check warns as it connects, over whatever the terminal shows; it is
    ``validate --connect``'s to say, in its own output."""
    own = scheduler_alone
    with worker_without(own, "numpy", tmp_path, packages_without("numpy", tmp_path)):
        doc = search_doc(tmp_path, marker, "where", {"scheduler": own.address}, iterations=1)
        spec = write_spec(doc)
        checked = run_cli("validate", str(spec), "--connect", cwd=tmp_path)
        result = run_cli("run", str(spec), "--no-ui", cwd=tmp_path)
    assert (checked.returncode, checked.stderr) == (0, "")
    lines = checked.stdout.splitlines()
    assert lines[1] == f"{own.address}: answers; 1 worker, 1 thread"
    assert lines[2] == "Dask's versions differ between this machine, the scheduler and the workers:"
    assert any(line.startswith("| numpy ") for line in lines[3:])
    assert result.returncode == 0, result.stderr
    assert "Mismatched versions" not in result.stderr and "Warning" not in result.stderr
    assert finished_records(tmp_path / "results" / "onworkers")[1]["state"] == "ok"


def packages_without(package: str, folder: Path) -> dict[str, str]:
    """The environment of a Python that finds this one's packages except ``package``: a folder
    of links to the others, its only path (started with ``-S``), and hypermax's source."""
    site = folder / "site-packages"
    site.mkdir()
    installed = Path(sysconfig.get_paths()["purelib"])
    for entry in installed.iterdir():
        if not entry.name.lower().startswith((package, f"{package}-")):
            (site / entry.name).symlink_to(entry)
    source = Path(hypermax.__file__).resolve().parents[1]
    return {**os.environ, "PYTHONPATH": f"{source}{os.pathsep}{site}", "PYTHONNOUSERSITE": "1"}


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_src_file_imports_its_neighbours_on_a_worker_that_does_not_share_them(
    one_worker, tmp_path, marker, where
):
    """A ``src`` file's folder is first on its ``sys.path`` (as when Python runs it): the
    modules beside it travel with it, whether it lies inside the spec's folder or outside."""
    project = tmp_path / "project"
    code = project / "sub" if where == "inside" else tmp_path / "elsewhere"
    code.mkdir(parents=True)
    project.mkdir(exist_ok=True)
    (code / "helper.py").write_text("SHIFT = 0.5\n")
    (code / "train.py").write_text(
        "from helper import SHIFT\n\ndef train(params):\n    return params['x'] + SHIFT\n"
    )
    function = FunctionSpec(
        type="python_function", src=str(code / "train.py"), name="train", env={MARKER_ENV: marker}
    )
    runner = DaskRunner(function, project, ClusterSpec(one_worker.address), share_files=False)
    try:
        for path in code.iterdir():  # the worker cannot use them in place any more
            path.unlink()
        trial_dir = tmp_path / "results" / "trials" / "1"
        runner.submit(Proposal(1, {"x": 0.25}, {}), trial_dir, tmp_path / "trial_1.log")
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 0.75}


def test_a_program_and_cwd_only_the_workers_have_pass_validation_for_a_cluster(
    tmp_path, write_spec
):
    """The trials run on the workers: a program and a cwd that this machine lacks are theirs to
    have (a trial on a worker that lacks them fails, saying so); without a cluster, they are
    spec errors as always."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {
            "type": "executable",
            "command": ["/opt/only-on-the-workers/train", "--x", "{x}"],
            "cwd": "/scratch/only-on-the-workers",
        },
        "cluster": {"scheduler": "tcp://127.0.0.1:9"},
    }
    result = run_cli_here("validate", str(write_spec(doc)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    local = write_spec({k: v for k, v in doc.items() if k != "cluster"}, "local.json")
    result = run_cli_here("validate", str(local), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("local.json: function.cwd: ")


def test_ctrl_c_while_the_scheduler_is_lost_ends_the_search_as_interrupted(
    tmp_path, write_spec, marker
):
    """The trials lost with the scheduler wait for it to answer again (to run again then), for
    up to ``lost_scheduler_wait``; an interrupt ends them at once, and the search with 130."""
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    try:
        doc = search_doc(tmp_path, marker, "hang", {"scheduler": own.address}, parallel=1)

        def lose_the_scheduler() -> None:
            sentinel(tmp_path / "up-1")
            assert own.scheduler is not None
            own.scheduler.kill()

        code, stderr = interrupted_search(write_spec(doc), lose_the_scheduler)
    finally:
        own.stop()
    assert code == 130, stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert [(i, r["state"]) for i, r in finished.items()] == [(1, "interrupted")]


def test_ctrl_c_while_the_scheduler_hangs_ends_the_search_as_interrupted(
    tmp_path, write_spec, marker
):
    """Interrupted while the scheduler hangs (SIGSTOP), the search went on waiting for the
    trials' stops until the scheduler had left its question unanswered for
    ``lost_scheduler_wait``, then ended as if it had failed (exit code 1). It ends as
    interrupted (130), each trial the scheduler did not stop saying so."""
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    assert own.scheduler is not None
    scheduler = own.scheduler
    cluster = {"scheduler": own.address, "lost_scheduler_wait": 1}
    try:
        doc = search_doc(tmp_path, marker, "hang", cluster, parallel=1)

        def hang_the_scheduler() -> None:
            sentinel(tmp_path / "up-1")
            scheduler.send_signal(signal.SIGSTOP)

        try:
            code, stderr = interrupted_search(write_spec(doc), hang_the_scheduler)
        finally:
            scheduler.send_signal(signal.SIGCONT)
    finally:
        own.stop()
    assert code == 130, stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert [(i, r["state"]) for i, r in finished.items()] == [(1, "interrupted")]
    assert finished[1]["reason"].startswith(f"the Dask scheduler at {own.address} did not answer")


def test_a_stop_its_hung_worker_does_not_carry_out_ends_the_trial_in_its_time(
    tmp_path, marker, monkeypatch
):
    """A worker that hangs (SIGSTOP) cannot stop its trial: the runner gives up on the trial
    ``kill_grace`` + CLOSE_SECONDS after the stop, and cancels its task, which the worker
    carries out when it comes back."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    (worker,) = own.workers
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address))
        try:
            runner.submit(Proposal(1, {"x": 0.5}, {}), tmp_path / "t" / "1", tmp_path / "t1.log")
            trial = sentinel(tmp_path / "up-1")[0]
            # the runner knows the trial's worker (its start event can lag behind the trial)
            wait_until(lambda: 1 in runner.live(), OUTCOME_TIMEOUT, "the start event")
            worker.send_signal(signal.SIGSTOP)
            runner.cancel(1, KillReason.INTERRUPT)
            outcome, _ = RunnerContract.outcome(runner, 1)
        finally:
            worker.send_signal(signal.SIGCONT)
            runner.close()
        wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop the trial")
    finally:
        own.stop()
    assert (outcome.state, outcome.kill_reason) == (TrialState.INTERRUPTED, KillReason.INTERRUPT)
    assert outcome.reason is not None
    assert outcome.reason.startswith("its Dask worker tcp://127.0.0.1:")
    assert outcome.reason.endswith(" did not stop the trial within 0.75 s")


def test_a_stop_a_hung_scheduler_did_not_pass_on_names_the_scheduler_not_the_worker(
    tmp_path, marker, monkeypatch
):
    """A stop travels to the worker, and the outcome back, through the scheduler: when the
    scheduler hangs (SIGSTOP) the trial given up on was said to be its worker's fault, a worker
    that is fine. The reason names the scheduler, which answered nothing since the stop."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    monkeypatch.setattr(dask_scheduler_calls, "SCHEDULER_CALL_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    assert own.scheduler is not None
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address))
        try:
            RunnerContract.submit(runner, tmp_path, 1, x=0.5)
            trial = sentinel(tmp_path / "up-1")[0]
            wait_until(lambda: 1 in runner.live(), OUTCOME_TIMEOUT, "the start event")
            own.scheduler.send_signal(signal.SIGSTOP)
            try:
                runner.cancel(1, KillReason.INTERRUPT)
                outcome, _ = RunnerContract.outcome(runner, 1)
            finally:
                own.scheduler.send_signal(signal.SIGCONT)
        finally:
            runner.close()
        wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop the trial")
    finally:
        own.stop()
    assert outcome.state is TrialState.INTERRUPTED
    assert outcome.reason is not None
    assert re.fullmatch(
        f"the Dask scheduler at {re.escape(own.address)} did not answer within 0.75 s of the "
        r"trial's stop, which may not have reached its Dask worker tcp://127\.0\.0\.1:\d+",
        outcome.reason,
    ), outcome.reason


def test_a_trial_its_worker_took_and_hangs_on_before_its_start_names_that_worker(
    one_worker, tmp_path, marker, monkeypatch
):
    """A worker that took a trial (claimed it on the scheduler) and hangs before it says the
    trial starts (reading the results folder, as on a shared filesystem that hangs) does not
    stop it: the trial given up on was said to be the fault of "its Dask worker (unknown)". The
    scheduler knows which worker took it, and the reason names that worker."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function", src=str(OBJECTIVES / "on_worker.py"), name="where", kill_grace=0.25
    )
    probe = tmp_path / "trials" / dask_files.PROBE_NAME

    def read_by_the_worker() -> int | None:
        with contextlib.suppress(OSError):  # ENXIO: nothing opened it to read yet
            return os.open(probe, os.O_WRONLY | os.O_NONBLOCK)
        return None

    runner = DaskRunner(function, tmp_path, ClusterSpec(one_worker.address))
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)  # leaves the probe the workers read
        RunnerContract.outcome(runner, 1)
        probe.unlink()
        os.mkfifo(probe)  # a read of it hangs until something writes it
        RunnerContract.submit(runner, tmp_path, 2, x=0.5)
        writer = wait_until(read_by_the_worker, OUTCOME_TIMEOUT, "the worker to read")
        try:
            runner.cancel(2, KillReason.INTERRUPT)
            outcome, _ = RunnerContract.outcome(runner, 2)
        finally:
            os.write(writer, b"gone")
            os.close(writer)
    finally:
        runner.close()
    workers = list(one_worker.live_workers())
    assert len(workers) == 1
    assert outcome.state is TrialState.INTERRUPTED
    assert outcome.reason is not None
    assert re.fullmatch(
        r"its Dask worker tcp://127\.0\.0\.1:\d+ took the trial and did not stop it within "
        r"0\.75 s; its start was not heard",
        outcome.reason,
    ), outcome.reason


def test_a_trial_stopped_early_has_until_its_next_report_before_the_runner_gives_up(
    one_worker, tmp_path, marker, monkeypatch
):
    """Stopped early, a trial ends at its next report, which may come later than ``kill_grace``
    + CLOSE_SECONDS: that is no hung worker, and it ends stopped, not given up."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.1)  # 0.35 s: less than a report gap
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "epochs.py"),
        name="train",
        kill_grace=0.25,
        env={MARKER_ENV: marker, "EPOCH_SECONDS": "0.6"},  # a report every 0.6 s
    )
    runner = DaskRunner(function, tmp_path, ClusterSpec(one_worker.address))
    try:
        runner.submit(Proposal(1, {"x": 0.5}, {}), tmp_path / "t" / "1", tmp_path / "t1.log")
        first = wait_until(lambda: runner.poll(0.5), OUTCOME_TIMEOUT, "the first report")
        runner.cancel(1, KillReason.EARLY_STOP)
        outcome, events = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert (outcome.state, outcome.kill_reason) == (TrialState.STOPPED, KillReason.EARLY_STOP)
    # it ended at the report after the last one heard: the second, unless the stop's trip took
    # longer than an epoch (0.6 s) on a loaded machine
    last = max(e.step for e in first + events if isinstance(e, Report))
    assert int((tmp_path / "t" / "1" / "cleaned_up").read_text()) == last + 1


def test_validate_connect_names_a_worker_that_hangs(tmp_path, write_spec, marker):
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    (worker,) = own.workers
    try:
        cluster = {"scheduler": own.address, "lost_scheduler_wait": 1}
        spec = write_spec(search_doc(tmp_path, marker, "where", cluster))
        worker.send_signal(signal.SIGSTOP)
        try:
            result = run_cli("validate", str(spec), "--connect", cwd=tmp_path, timeout=60)
        finally:
            worker.send_signal(signal.SIGCONT)
    finally:
        own.stop()
    assert result.returncode == 1
    assert re.fullmatch(
        r"search\.json: cluster: worker tcp://127\.0\.0\.1:\d+ does not answer within 1 s\n",
        result.stderr,
    )


def test_a_second_interrupt_gives_up_on_a_hung_worker_without_waiting_out_the_grace(
    tmp_path, marker, monkeypatch
):
    """Interrupted again, the runner waits CLOSE_SECONDS more for a trial whose worker hangs,
    not the rest of its ``kill_grace`` (300 s here), which a second Ctrl-C skips."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=300,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    (worker,) = own.workers
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address))
        try:
            runner.submit(Proposal(1, {"x": 0.5}, {}), tmp_path / "t" / "1", tmp_path / "t1.log")
            trial = sentinel(tmp_path / "up-1")[0]
            wait_until(lambda: 1 in runner.live(), OUTCOME_TIMEOUT, "the start event")
            worker.send_signal(signal.SIGSTOP)
            runner.interrupt()  # as the driver does at Ctrl-C: then it stops the trials
            runner.cancel(1, KillReason.INTERRUPT)
            runner.interrupt()  # Ctrl-C again
            outcome, _ = RunnerContract.outcome(runner, 1)
        finally:
            worker.send_signal(signal.SIGCONT)
            runner.close()
        wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop the trial")
    finally:
        own.stop()
    assert (outcome.state, outcome.kill_reason) == (TrialState.INTERRUPTED, KillReason.INTERRUPT)
    assert outcome.reason is not None
    said = r"its Dask worker tcp://\S+ did not stop the trial within \S+ s"
    assert re.fullmatch(said, outcome.reason), outcome.reason


def test_a_module_only_the_workers_have_passes_validation_for_a_cluster_and_runs_there(
    scheduler_alone, tmp_path, write_spec, marker, monkeypatch
):
    """A package installed on the workers alone (their image, their environment) is theirs to
    import, as their program and cwd are: a spec with a cluster naming it runs; without a
    cluster, a module found nowhere is a spec error as always."""
    installed = tmp_path / "workers-site"
    (installed / "workerpkg").mkdir(parents=True)
    (installed / "workerpkg" / "__init__.py").write_text("")
    (installed / "workerpkg" / "train.py").write_text("def train(params):\n    return 0.25\n")
    project = tmp_path / "project"
    project.mkdir()
    own = scheduler_alone
    with contextlib.ExitStack() as stack:
        with monkeypatch.context() as workers_env:  # the worker's environment, not this machine's
            path = os.pathsep.join(filter(None, [str(installed), *sys.path]))
            workers_env.setenv("PYTHONPATH", path)
            stack.enter_context(added_worker(own))  # its only worker
        doc = search_doc(tmp_path, marker, "train", {"scheduler": own.address}, iterations=1)
        del doc["function"]["src"]
        doc["function"]["module"] = "workerpkg.train"
        spec = write_spec(doc, "project/search.json")
        result = run_hypermax_here(spec)
    assert result.returncode == 0, result.stderr
    finished = finished_records(tmp_path / "results" / "onworkers")
    assert [(i, r["state"], r["loss"]) for i, r in finished.items()] == [(1, "ok", 0.25)]
    local = write_spec({k: v for k, v in doc.items() if k != "cluster"}, "project/local.json")
    result = run_cli_here("validate", str(local), cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("local.json: function.module: cannot find module")


def test_validate_connect_names_the_workers_that_cannot_import_the_module(
    one_worker, tmp_path, write_spec, marker, monkeypatch
):
    """Left to the workers, a module is looked for there by ``validate --connect``: a worker
    without it (or a name mistyped) is named before a search starts. A run asks the workers
    too: a module that none finds (a name mistyped) is not left to fail every trial, it is
    said in one line, exit 2."""
    installed = tmp_path / "workers-site"
    (installed / "workerpkg").mkdir(parents=True)
    (installed / "workerpkg" / "__init__.py").write_text("")
    (installed / "workerpkg" / "train.py").write_text("def train(params):\n    return 0.25\n")
    own = one_worker  # its worker without it
    with contextlib.ExitStack() as stack:
        with monkeypatch.context() as workers_env:
            path = os.pathsep.join(filter(None, [str(installed), *sys.path]))
            workers_env.setenv("PYTHONPATH", path)
            stack.enter_context(added_worker(own))
        doc = search_doc(tmp_path, marker, "train", {"scheduler": own.address})
        del doc["function"]["src"]
        doc["function"]["module"] = "workerpkg.train"
        result = run_cli("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)
        doc["function"]["module"] = "workerpkg.trian"
        mistyped = run_cli("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)
        run = run_cli("run", str(write_spec(doc)), "--no-ui", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(
        r"search\.json: cluster: worker tcp://\S+ cannot import the function\'s module "
        r'"workerpkg\.train": install it there',
        line,
    ), line
    assert mistyped.returncode == 1
    assert len(mistyped.stderr.splitlines()) == 2, mistyped.stderr
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.splitlines()
    assert re.fullmatch(
        r'search\.json: function\.module: cannot find module "workerpkg\.trian" here, nor on '
        r"the Dask cluster at tcp://127\.0\.0\.1:\d+ \(asked its 2 workers\)",
        line,
    ), line
    assert not list((tmp_path / "results").glob("*/trials/*"))


def _a_trial_waits(
    address: str, tmp_path: Path, write_spec, marker
) -> tuple[list[str], Outcome, subprocess.CompletedProcess[str]]:
    """A trial sent to the cluster at ``address``, where it waits: the runner's notes until
    the first, its outcome once interrupted, and what ``validate --connect`` then says."""
    function = FunctionSpec(
        type="python_function", src=str(OBJECTIVES / "on_worker.py"), name="where"
    )
    runner = DaskRunner(function, tmp_path, ClusterSpec(address))
    try:
        RunnerContract.submit(runner, tmp_path, 1, x=0.5)
        notes = wait_until(
            lambda: [e.text for e in runner.poll(0.2) if isinstance(e, RunnerNote)],
            OUTCOME_TIMEOUT,
            "a note that the trial waits",
        )
        runner.cancel(1, KillReason.INTERRUPT)
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    doc = search_doc(tmp_path, marker, "where", {"scheduler": address})
    return notes, outcome, run_cli("validate", str(write_spec(doc)), "--connect", cwd=tmp_path)


def test_trials_whose_only_worker_is_paused_wait_saying_so(
    scheduler_alone, tmp_path, write_spec, marker
):
    """A worker whose own memory passes the pause fraction of its ``--memory-limit`` (one given
    a limit too small for it, as if it bounded the trials) takes no task until it goes on: the
    trials sent wait there, and the search says why, as it does when no worker can take them."""
    from distributed import Client

    own = scheduler_alone
    with added_worker(own, "--memory-limit", "10MB"):  # its only worker
        with Client(own.address, set_as_default=False) as client:
            wait_until(
                lambda: (
                    [w["status"] for w in client.scheduler_info()["workers"].values()] == ["paused"]
                ),
                OUTCOME_TIMEOUT,
                "the worker to pause",
            )
        notes, outcome, validated = _a_trial_waits(own.address, tmp_path, write_spec, marker)
    assert validated.returncode == 0, validated.stderr
    address = re.findall(r"worker (tcp://\S+) is paused", validated.stdout)
    assert validated.stdout.splitlines()[1:] == [
        f"{own.address}: answers; 1 worker, 2 threads",
        f"worker {address[0] if address else '?'} is paused (Dask pauses a worker whose own "
        "memory passes its --memory-limit's pause fraction): it takes no trial until it goes on",
    ]
    assert notes == [
        f"cluster: the one worker of {own.address} is paused (Dask pauses a worker whose own "
        "memory passes its --memory-limit's pause fraction); the trials wait for it to go on"
    ]
    assert outcome.state is TrialState.INTERRUPTED


def test_trials_whose_only_worker_its_nanny_restarts_for_its_memory_wait_saying_so(
    tmp_path, write_spec, marker
):
    """A nanny whose worker's memory passes the terminate fraction of its ``--memory-limit``
    (one too small for the worker itself) restarts it, again and again: it never stays, and the
    search said only that no worker had joined yet. The scheduler keeps the nanny's word of
    each restart, and the search says so, as ``hypermax validate --connect`` does."""
    from distributed import Client

    own = LocalDaskCluster(tmp_path / "cluster", workers=0)
    try:
        own.add_worker("--nanny", "--memory-limit", "10MB")
        with Client(own.address, set_as_default=False) as client:
            wait_until(  # its first start joined the scheduler: until it is removed
                lambda: client.get_events("worker-restart-memory") and not client.nthreads(),
                OUTCOME_TIMEOUT,
                "the nanny to restart its worker",
            )
        notes, _, validated = _a_trial_waits(own.address, tmp_path, write_spec, marker)
    finally:
        own.stop()
    restarts = (
        r"the nanny of worker tcp://127\.0\.0\.1:\d+ restarted it \d+ times? in 60 s, its memory "
        r"\(\d+ MiB\) past its --memory-limit's terminate fraction"
    )
    assert len(notes) == 1
    assert re.fullmatch(
        f"cluster: no worker stays at {re.escape(own.address)}: {restarts}; the trials wait",
        notes[0],
    ), notes[0]
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.splitlines()[1] == f"{own.address}: answers; 0 workers, 0 threads"
    assert re.fullmatch(f"{restarts}: it never stays", validated.stdout.splitlines()[2])


def test_an_interrupt_while_the_scheduler_hangs_ends_the_search_in_its_time(
    tmp_path, marker, monkeypatch
):
    """A scheduler that hangs (SIGSTOP, an event loop that no longer turns) keeps its
    connections open and answers nothing: marking the waiting trials stopped, and forgetting the
    search as the runner closes, waited for it for ever, and Ctrl-C could not end the search.
    Each call now gives up in its time; the trials are left interrupted."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    monkeypatch.setattr(dask_scheduler_calls, "SCHEDULER_CALL_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    own = LocalDaskCluster(tmp_path / "cluster", workers=1, threads=1)
    assert own.scheduler is not None
    outcomes: list[Any] = []
    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address))
        try:
            for trial_id in (1, 2):  # the second waits for the worker's one thread
                RunnerContract.submit(runner, tmp_path, trial_id, x=0.5)
            trial = sentinel(tmp_path / "up-1")[0]
            wait_until(lambda: 1 in runner.live(), OUTCOME_TIMEOUT, "the start event")
            own.scheduler.send_signal(signal.SIGSTOP)
            for trial_id in (1, 2):
                runner.cancel(trial_id, KillReason.INTERRUPT)

            def interrupted() -> None:
                outcomes.extend(e for e in runner.poll(0.1) if isinstance(e, Outcome))
                outcomes.extend(runner.close())

            closing = threading.Thread(target=interrupted, daemon=True)
            closing.start()
            closing.join(OUTCOME_TIMEOUT)
            ended = not closing.is_alive()
        finally:
            own.scheduler.send_signal(signal.SIGCONT)
        wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop the trial")
    finally:
        own.stop()
    assert ended, "the runner waited for the hung scheduler"
    assert {o.trial_id: o.state for o in outcomes if isinstance(o, Outcome)} == {
        1: TrialState.INTERRUPTED,
        2: TrialState.INTERRUPTED,
    }


def test_a_scheduler_that_hangs_mid_search_is_given_up_on_in_its_time(
    tmp_path, marker, monkeypatch
):
    """A scheduler that hangs (SIGSTOP, an event loop that no longer turns) keeps its
    connections open: the client never says it is lost, and the search waited for it for ever,
    whatever ``lost_scheduler_wait``. A question it leaves unanswered for that long now ends
    the search as a lost scheduler does."""
    monkeypatch.setattr(dask_stops, "CLOSE_SECONDS", 0.5)
    monkeypatch.setattr(dask_scheduler_calls, "SCHEDULER_CALL_SECONDS", 0.5)
    function = FunctionSpec(
        type="python_function",
        src=str(OBJECTIVES / "on_worker.py"),
        name="hang",
        kill_grace=0.25,
        env={MARKER_ENV: marker, SENTINELS_ENV: str(tmp_path)},
    )
    own = LocalDaskCluster(tmp_path / "cluster", workers=1)
    assert own.scheduler is not None
    failed: list[SearchFailed] = []

    def polled() -> bool:
        try:
            runner.poll(0.2)
        except SearchFailed as exc:
            failed.append(exc)
        return bool(failed)

    try:
        runner = DaskRunner(function, tmp_path, ClusterSpec(own.address, lost_scheduler_wait=1))
        try:
            RunnerContract.submit(runner, tmp_path, 1, x=0.5)
            trial = sentinel(tmp_path / "up-1")[0]
            own.scheduler.send_signal(signal.SIGSTOP)
            try:
                wait_until(polled, OUTCOME_TIMEOUT, "the runner to give up on the scheduler")
            finally:
                own.scheduler.send_signal(signal.SIGCONT)
        finally:
            runner.close()
        wait_until(lambda: not pid_alive(trial), OUTCOME_TIMEOUT, "the worker to stop the trial")
    finally:
        own.stop()
    assert str(failed[0]) == (
        f"hypermax: lost the Dask scheduler at {own.address}: no answer for 1 s "
        "(cluster.lost_scheduler_wait)"
    )


def test_a_resume_whose_scheduler_option_does_not_answer_names_the_option(
    one_worker, tmp_path, write_spec, marker
):
    """``resume --scheduler`` blamed cluster.scheduler of the spec the search came from, which
    holds another address (as ``run --scheduler`` did before)."""
    cluster = {"scheduler": one_worker.address, "lost_scheduler_wait": 0.5}
    spec = write_spec(search_doc(tmp_path, marker, "where", cluster, iterations=1))
    ran = run_cli_here("run", str(spec), "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    address = "tcp://no-such-scheduler.invalid:8786"
    folder = str(tmp_path / "results" / "onworkers")
    result = run_cli_here(
        "resume", folder, "--no-ui", "--iterations", "2", "--scheduler", address, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"hypermax resume: --scheduler: no Dask scheduler answers at {address} within 0.5 s: the"
        " name no-such-scheduler.invalid does not resolve ("
    ), line
    # the address in the frozen spec, which resume reads: that file is named, not the spec the
    # search came from (which holds the cluster's own)
    frozen = tmp_path / "results" / "onworkers" / "search.json"
    doc = json.loads(frozen.read_text())
    doc["cluster"]["scheduler"] = address
    frozen.write_text(json.dumps(doc))
    result = run_cli_here("resume", folder, "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "results/onworkers/search.json: cluster.scheduler: no Dask scheduler answers at"
        f" {address} within 0.5 s"
    ), line


def test_a_resume_whose_scheduler_option_does_not_answer_leaves_the_frozen_spec_as_it_was(
    one_worker, tmp_path, write_spec, marker
):
    """A ``resume --scheduler`` whose scheduler did not answer froze its options into the
    results folder all the same, so the next plain ``resume`` tried that address again."""
    cluster = {"scheduler": one_worker.address, "lost_scheduler_wait": 0.5}
    spec = write_spec(search_doc(tmp_path, marker, "where", cluster, iterations=1))
    ran = run_cli_here("run", str(spec), "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    folder = tmp_path / "results" / "onworkers"
    frozen = (folder / "search.json").read_text()
    address = "tcp://no-such-scheduler.invalid:8786"
    failed = run_cli_here(
        "resume",
        str(folder),
        "--no-ui",
        "--iterations",
        "2",
        "--scheduler",
        address,
        cwd=tmp_path,
    )
    assert failed.returncode == 1, failed.stderr
    assert (folder / "search.json").read_text() == frozen
    again = run_cli_here("resume", str(folder), "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((folder / "search.json").read_text())["cluster"]["scheduler"] == (
        one_worker.address
    )
