"""Trial files that cannot be written on a Dask cluster: on a worker (its own folder for trials
read-only), or on hypermax's machine as a worker sends them back (the results folder refuses).

A worker started in a mount namespace of its own (``unshare -m``) sees the folders named read-only,
as a worker on another machine sees a shared filesystem mounted so; hypermax sees them writable.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")

from conftest import finished_records, run_cli
from dask_cluster import LocalDaskCluster
from fake_trials.helpers import wait_until
from test_dask import search_doc


def _can_unshare() -> bool:
    """Whether a mount namespace of its own, with a read-only bind mount, can be made here."""
    try:
        done = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "mount", "--bind", "-o", "ro", "/", "/"],
            capture_output=True,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0 and shutil.which("nsenter") is not None


pytestmark = pytest.mark.skipif(not _can_unshare(), reason="unshare -m does not work here")


@dataclass
class ReadOnlyWorker:
    """A cluster's one worker, that sees ``results`` read-only: it runs the trials in a
    folder of its own, ``scratch``, and sends their files back."""

    scheduler: str
    address: str
    pid: int
    results: Path
    scratch: Path


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadOnlyWorker]:
    folder = tmp_path_factory.mktemp("dask")
    cluster = LocalDaskCluster(folder / "cluster", workers=0)
    try:
        results = folder / "results"
        results.mkdir()
        mount = f"mount --bind -o ro {shlex.quote(str(results))} {shlex.quote(str(results))}"
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", f'{mount} && exec "$@"']
        argv += ["sh", sys.executable, "-m", "dask", "worker", cluster.address]
        argv += ["--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]
        argv += ["--death-timeout", "60", "--local-directory", str(folder / "worker")]
        with open(folder / "worker.log", "ab") as log:
            started = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        cluster.workers.append(started)  # stopped by its pid with the cluster
        cluster.wait_for_workers(1)
        from distributed import Client

        with Client(cluster.address) as client:
            [(address, local)] = client.run(lambda dask_worker: dask_worker.local_directory).items()
        scratch = Path(local) / "hypermax-trials"
        yield ReadOnlyWorker(cluster.address, address, started.pid, results, scratch)
    finally:
        cluster.stop()


def search_on(worker: ReadOnlyWorker, tmp_path: Path, marker: str, name: str, **more: Any) -> Path:
    """The spec of a search of ``name`` of ``objectives/on_worker.py`` on the worker's cluster,
    its results in the folder the worker sees read-only (``tmp_path`` holds the spec and the
    sentinels)."""
    doc = search_doc(tmp_path, marker, name, {"scheduler": worker.scheduler}, **more)
    doc["search"]["name"] = tmp_path.name
    doc["results"] = {"directory": str(worker.results)}
    spec = tmp_path / "search.json"
    spec.write_text(json.dumps(doc))
    return spec


def test_a_worker_whose_folder_for_trials_is_read_only_fails_them_naming_it(
    worker, tmp_path, marker
):
    """It said "cannot run the trial: FolderUnwritable: [Errno 30] Read-only file system: ..."."""
    scratch = worker.scratch
    scratch.mkdir(exist_ok=True)
    in_its_view = ["nsenter", "-t", str(worker.pid), "-m"]
    subprocess.run([*in_its_view, "mount", "--bind", "-o", "ro", scratch, scratch], check=True)
    try:
        spec = search_on(worker, tmp_path, marker, "where", iterations=2)
        done = run_cli("run", str(spec), "--no-ui", cwd=tmp_path)
    finally:
        subprocess.run([*in_its_view, "umount", scratch], check=True)
    assert done.returncode == 1, done.stderr
    why = (
        f"cannot prepare the trial's files: {scratch}: cannot be written: Read-only file system"
        f" (on Dask worker {worker.address})"
    )
    assert done.stderr.startswith(f"hypermax: every trial failed: {why}")
    finished = finished_records(worker.results / tmp_path.name)
    assert [(r["state"], r["reason"]) for r in finished.values()] == [("failed", why)] * 2


def test_a_results_folder_that_refuses_what_a_worker_sent_back_stops_the_search(
    worker, tmp_path, marker
):
    """The files were dropped, a warning in hypermax.log, and every trial after ran as well:
    ended "ok", with neither folder nor log."""
    spec = search_on(worker, tmp_path, marker, "where_after_go")
    search = subprocess.Popen(
        [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    trials = worker.results / tmp_path.name / "trials"
    try:
        wait_until((tmp_path / "up-1").exists, 60, "trial 1 running")
        os.rename(trials, trials.with_name("trials.aside"))
        trials.write_text("")  # no trial's folder can be made from now on
        (tmp_path / "go").touch()
        _, err = search.communicate(timeout=60)
    finally:
        (tmp_path / "go").touch()
        if search.poll() is None:
            search.kill()
            search.communicate()
    assert (search.returncode, err) == (2, f"{trials}: cannot be written: Not a directory\n")
    finished = finished_records(trials.parent)
    assert finished[1]["state"] == "ok"  # it ran, and is journaled
    # one started meanwhile runs again when the search resumes
    assert all(r["state"] == "interrupted" for i, r in finished.items() if i > 1)
