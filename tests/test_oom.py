"""The kernel's out-of-memory killer takes a trial before hypermax, and a trial it took says so."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import FAKES, finished, hypermax_argv, write_spec

from hypermax.execution.outcome import OOM_KILLED

X_SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}


def _function(launch: str, name: str) -> dict:
    if launch == "executable":
        return {"type": "executable", "command": [sys.executable, str(FAKES / "oom.py")]}
    return {
        "type": "python_function",
        "src": str(FAKES / "oom.py"),
        "name": name,
        "preload": launch == "preload",
    }


@pytest.mark.parametrize("launch", ["executable", "function", "preload"])
def test_a_trial_is_the_out_of_memory_killers_first_choice_and_hypermax_is_not(tmp_path, launch):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": _function(launch, "oom_score_adj"),
            "search": {"name": "adj", "iterations": 1},
        },
    )
    done = subprocess.run(hypermax_argv(spec), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (record,) = finished(tmp_path / "results" / "adj").values()
    assert record["metadata"]["adj"] == 1000
    if launch != "preload":  # the parent is hypermax, which keeps its own
        assert record["metadata"]["parent_adj"] == _own_adj()
    assert _own_adj() != 1000  # nothing here was raised by running hypermax


def _own_adj() -> int:
    return int(Path("/proc/self/oom_score_adj").read_text())


@pytest.fixture
def memory_cgroup() -> Iterator[Path]:
    """A memory cgroup (v1) of 300 MiB under this process's own; skipped where none can be made."""
    try:
        line = next(
            entry
            for entry in Path("/proc/self/cgroup").read_text().splitlines()
            if "memory" in entry.split(":")[1].split(",")
        )
    except (OSError, StopIteration):
        pytest.skip("needs a cgroup v1 memory controller")
    own = Path("/sys/fs/cgroup/memory") / line.split(":", 2)[2].lstrip("/")
    group = own / f"hypermax-test-{uuid.uuid4().hex[:8]}"
    try:
        group.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot make a memory cgroup here: {exc}")
    try:
        try:
            (group / "memory.limit_in_bytes").write_text(str(300 * 2**20))
            # a process must be able to join it: the tests start hypermax in it
            probe = subprocess.run(
                [sys.executable, "-c", f"open({str(group / 'cgroup.procs')!r}, 'w').write('0')"],
                capture_output=True,
                timeout=30,
            )
        except OSError as exc:
            pytest.skip(f"cannot limit a memory cgroup here: {exc}")
        if probe.returncode != 0:
            pytest.skip("cannot move a process into a memory cgroup here")
        yield group
    finally:
        group.rmdir()  # its processes are gone by now: the test waited for hypermax


def test_a_trial_the_out_of_memory_killer_took_says_so_and_the_search_goes_on(
    tmp_path, memory_cgroup
):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": _function("function", "eat_memory"),
            "search": {"name": "hog", "iterations": 2},
        },
    )
    procs = str(memory_cgroup / "cgroup.procs")

    def join_the_cgroup() -> None:  # in the child, before exec: hypermax and its trials
        with open(procs, "w") as f:
            f.write(str(os.getpid()))

    done = subprocess.run(
        hypermax_argv(spec),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=join_the_cgroup,
    )
    # hypermax itself survived both trials, and says that every trial failed
    assert done.returncode == 1, done.stderr
    assert "every trial failed" in done.stderr
    ended = finished(tmp_path / "results" / "hog")
    assert [record["reason"] for record in ended.values()] == [OOM_KILLED, OOM_KILLED]


def test_the_out_of_memory_killer_takes_the_trial_not_a_larger_hypermax(tmp_path, memory_cgroup):
    """hypermax run from a program that holds much memory (a notebook with its data): when a
    trial runs the cgroup out of memory, the killer takes the trial, though it is the smaller."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": _function("preload", "eat_memory"),
            "search": {"name": "hog", "iterations": 1},
        },
    )
    program = (
        "import sys, hypermax\n"
        "data = bytearray(160 * 2**20)  # the notebook's data: hypermax is the larger\n"
        f"result = hypermax.optimize({str(spec)!r})\n"
        "print(result.trials[0]['reason'])\n"
    )
    procs = str(memory_cgroup / "cgroup.procs")

    def join_the_cgroup() -> None:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))

    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=join_the_cgroup,
    )
    assert done.returncode == 0, done.stderr  # before: -9, the program itself was killed
    assert done.stdout.splitlines()[-1] == OOM_KILLED


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n", 4),  # cgroup v1 memory.oom_control
        ("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", 2),  # v2 memory.events
        ("pgfault 1234\noom_kill 27\nnuma_hit 9\n", 27),  # /proc/vmstat
        ("oom_kill_disable 0\nunder_oom 0\n", None),  # a kernel before 4.13 counts none
    ],
)
def test_the_kill_count_is_read_from_each_kind_of_file(tmp_path, text, count):
    from hypermax.execution import oom

    path = tmp_path / "counts"
    path.write_text(text)
    assert oom._count(path) == count
