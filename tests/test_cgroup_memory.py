"""``auto_kill_max_system_ram`` in a container whose memory is limited weighs the container's
memory (its memory cgroup's), not the machine's, which other containers' memory fills.

The tests make a real memory cgroup with a limit (as Docker's ``--memory`` does), run hypermax in
it, and hold a GiB of memory themselves, outside it: the machine's figure is past the search's
limit, the container's is not."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import fake, finished, hypermax_argv, write_spec

from hypermax.execution import cgroup_memory, procfs

_made = itertools.count()


def _own_v1_folder() -> Path | None:
    for folder, version in cgroup_memory.own_cgroup_folders():
        if version == 1:
            return folder  # the deepest first: this process's own
    return None


@pytest.fixture
def limited_cgroup() -> Iterator[Path]:
    """A new memory cgroup (v1) under this process's, limited to 4 GiB; removed after."""
    own = _own_v1_folder()
    if own is None or os.geteuid() != 0:
        pytest.skip("needs root and a cgroup v1 memory hierarchy to make a limited cgroup in")
    folder = own / f"hypermax-test-{os.getpid()}-{next(_made)}"
    try:
        folder.mkdir()
        (folder / "memory.limit_in_bytes").write_text(str(4 << 30))
    except OSError as exc:
        pytest.skip(f"cannot make a memory cgroup here: {exc}")
    try:
        yield folder
    finally:
        folder.rmdir()  # its processes ended: each test waits for them


@pytest.fixture
def machine_memory_held() -> Iterator[None]:
    """A GiB written by this process, outside the cgroup: the machine's used memory is past it."""
    block = b"x" * (1 << 30)
    assert procfs.system_used_mib() >= 1024  # the machine's figure, here
    yield
    del block


def _in(cgroup: Path, argv: list[str]) -> list[str]:
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup), *argv]


READ = "from hypermax.execution import procfs; print(procfs.system_used_mib())"


def test_a_process_in_a_limited_cgroup_reads_the_cgroups_used_memory(
    limited_cgroup: Path, machine_memory_held: None
) -> None:
    done = subprocess.run(
        _in(limited_cgroup, [sys.executable, "-c", READ]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    used = float(done.stdout)
    assert 0 < used < 512  # the interpreter's own, not the GiB held outside


def _search(tmp_path: Path, cgroup: Path, hold_mib: int, seconds: float, limit_mib: int) -> dict:
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "executable",
                "command": fake("hold_memory"),
                "env": {"HOLD_MIB": str(hold_mib), "HOLD_SECONDS": str(seconds)},
                "auto_kill_max_system_ram": limit_mib,
            },
            "search": {"name": "held", "iterations": 1, "method": "random"},
        },
    )
    done = subprocess.run(
        _in(cgroup, hypermax_argv(spec)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    trial = finished(tmp_path / "results" / "held")[1]
    assert done.returncode == (0 if trial["state"] == "ok" else 1), done.stderr
    return trial


def test_a_search_in_a_limited_container_is_not_killed_for_the_machines_memory(
    tmp_path: Path, limited_cgroup: Path, machine_memory_held: None
) -> None:
    # the machine uses over 1024 MiB, the container (hypermax and its trial) far less than 700
    trial = _search(tmp_path, limited_cgroup, hold_mib=50, seconds=1.5, limit_mib=700)
    assert trial["state"] == "ok", trial


def test_a_search_in_a_limited_container_is_killed_for_the_containers_memory(
    tmp_path: Path, limited_cgroup: Path, machine_memory_held: None
) -> None:
    trial = _search(tmp_path, limited_cgroup, hold_mib=400, seconds=60, limit_mib=300)
    assert (trial["state"], trial["kill_reason"]) == ("killed", "system_ram")
    assert 300 < trial["kill_value"] < 1024  # the container's figure: the machine's is higher
