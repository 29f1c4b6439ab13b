"""The watchdog: following a trial's whole tree, and the time and memory limits end to end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conftest import run_hypermax_here
from fake_trials.helpers import (
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    by_param,
    fake,
    pid_alive,
    wait_until,
    write_spec,
)

from hypermax.execution import limits, procfs, protocol, watchdog
from hypermax.execution.kill import KILL_WAIT_SECONDS, kill_ladder
from hypermax.trial import KillReason


def _fake_search(name: str, fakes: list[str], marker: str, **function: object) -> dict:
    return {
        "hyperparameters": {"type": "object", "properties": {"fake": {"enum": fakes}}},
        "function": {
            "type": "executable",
            "command": [sys.executable, str(FAKES / "{fake}.py")],
            "parallel": len(fakes),
            "env": {MARKER_ENV: marker},
            **function,
        },
        "search": {
            "name": name,  # every trial is one of the points: the method proposes none
            "iterations": len(fakes),
            "points": [{"fake": f} for f in fakes],
        },
    }


def _start_family(tmp_path: Path, marker: str, token: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        MARKER_ENV: marker,
        protocol.TOKEN_ENV: token,
        "HYPERMAX_TRIAL_DIR": str(tmp_path),
    }
    return subprocess.Popen(fake("family"), env=env, start_new_session=True)


# -- following a tree -----------------------------------------------------------------------
def test_the_tree_holds_children_and_a_setsid_daemon_and_dies_whole(tmp_path, marker):
    token = uuid.uuid4().hex
    dog = watchdog.Watchdog()
    proc = _start_family(tmp_path, marker, token)
    dog.watch(1, proc.pid, token)
    up = wait_until(lambda: (tmp_path / "up").exists() and (tmp_path / "up"), 10, "family up")
    main, child, daemon = (int(pid) for pid in up.read_text().split())
    members = {p.pid for p in dog.members(1)}
    assert {main, child, daemon} <= members
    sample = dog.tick()[1]
    assert sample.processes >= 3 and sample.rss_mib > 10
    notes: list[str] = []
    assert kill_ladder(lambda: dog.members(1), 1.0, notes.append) == []
    proc.wait(5)
    signalled = re.fullmatch(r"SIGTERM to ([\d, ]+); SIGKILL after 1 s", notes[0])
    assert signalled, notes
    assert {main, child, daemon} <= {int(pid) for pid in signalled[1].split(", ")}
    assert_none_alive(marker)


def test_a_daemon_that_escaped_between_two_looks_is_found_by_its_token(tmp_path, marker):
    token = uuid.uuid4().hex
    escaped = []
    dog = watchdog.Watchdog(on_escape=lambda tree, info: escaped.append(info.pid))
    proc = _start_family(tmp_path, marker, token)
    dog.watch(1, proc.pid, token)
    up = wait_until(lambda: (tmp_path / "up").exists() and (tmp_path / "up"), 10, "family up")
    daemon = int(up.read_text().split()[2])
    dog.tick()
    # a second watchdog that never saw the intermediate process: only the token ties the daemon
    late = watchdog.Watchdog()
    late.watch(1, proc.pid, token)
    assert daemon in {p.pid for p in late.members(1)}
    assert daemon in escaped  # reported to the guardian as outside the trial's session
    assert kill_ladder(lambda: dog.members(1), 1.0, lambda text: None) == []
    proc.wait(5)
    assert_none_alive(marker)


def test_a_look_at_the_root_before_its_setsid_does_not_make_our_session_the_trials():
    """A tick between the fork and the setsid sees a trial in hypermax's session."""
    ours = {"ppid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0)}
    early_root = procfs.ProcInfo(pid=4000001, start=10.0, rss=0, cpu=0.0, zombie=False, **ours)
    tree = watchdog.ProcessTree(early_root, "token")
    next_trial = procfs.ProcInfo(pid=4000002, start=11.0, rss=0, cpu=0.0, zombie=False, **ours)
    assert not tree.descends(next_trial)
    child = procfs.ProcInfo(4000003, 4000001, 4000003, 4000003, 12.0, 0, 0.0, False)
    in_session = procfs.ProcInfo(4000004, 1, 4000004, 4000001, 12.0, 0, 0.0, False)
    assert tree.descends(child) and tree.descends(in_session)


def test_the_kill_ladder_waits_the_grace_then_kills(tmp_path, marker):
    env = {**os.environ, MARKER_ENV: marker, "HYPERMAX_TRIAL_DIR": str(tmp_path)}
    proc = subprocess.Popen(fake("ignore_sigterm"), env=env, start_new_session=True)
    wait_until(lambda: (tmp_path / "up").exists(), 10, "the trial to start")
    dog = watchdog.Watchdog()
    dog.watch(1, proc.pid, "no-token")
    notes: list[str] = []
    began = time.monotonic()
    survivors = kill_ladder(lambda: dog.members(1), 0.4, notes.append, "stopping")
    took = time.monotonic() - began
    assert proc.wait(5) == -signal.SIGKILL
    assert survivors == []
    assert notes == [
        f"stopping: SIGTERM to {proc.pid}; SIGKILL after 0.4 s",
        f"1 left after the 0.4 s grace: SIGKILL to {proc.pid}",
    ]
    # it waited the grace, and no longer than a SIGKILL takes (not the ladder's give-up time)
    assert 0.4 <= took < 0.4 + KILL_WAIT_SECONDS


def test_memory_strikes_count_consecutive_samples_only():
    ram = limits.Limits(max_ram_mib=100)
    strikes = 0
    for rss in (150, 150, 90, 150, 150):  # a dip resets the count: two spikes never kill
        strikes = limits.ram_strikes(ram, rss, strikes)
        assert strikes < limits.RAM_SAMPLES_TO_KILL
    for _ in range(limits.RAM_SAMPLES_TO_KILL - 2):
        strikes = limits.ram_strikes(ram, 150, strikes)
    assert strikes == limits.RAM_SAMPLES_TO_KILL
    assert limits.ram_strikes(limits.Limits(), 10**6, 0) == 0


def test_kill_text_names_the_limit_and_the_value():
    every = limits.Limits(2, 200, 3800)
    assert limits.kill_text(KillReason.TIME, 2.004, every) == "time limit: ran 2.00 s, limit 2 s"
    assert limits.kill_text(KillReason.RAM, 250.2, every) == (
        "memory limit: tree PSS 250 MiB, limit 200 MiB"
    )
    assert limits.kill_text(KillReason.SYSTEM_RAM, 3900, every) == (
        "system memory limit: 3900 MiB in use, limit 3800 MiB"
    )
    # a memory figure just over a limit reads over it, with as many decimals as that takes
    close = limits.Limits(None, 10.2, 3800.25)
    assert limits.kill_text(KillReason.RAM, 10.4, close) == (
        "memory limit: tree PSS 10.4 MiB, limit 10.2 MiB"
    )
    assert limits.kill_text(KillReason.SYSTEM_RAM, 3800.3, close) == (
        "system memory limit: 3800.3 MiB in use, limit 3800.25 MiB"
    )


def test_a_process_that_ended_since_the_sample_holds_nothing_of_the_trees_pss():
    """A pool's workers exiting as the tree is weighed: their PSS reads nothing, and the RSS
    the sample saw is gone with them, not counted in its place."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        wait_until(lambda: (info := procfs.read_proc(proc.pid)) and info.zombie, 5, "a zombie")
        sample = watchdog.TreeSample(300.0, 0.0, 1, members=((proc.pid, 300 * procfs.MIB),))
        assert sample.proportional_mib() == 0.0
    finally:
        proc.wait()
    assert sample.proportional_mib() == 0.0  # and once it is gone


def test_read_token_ignores_the_name_inside_another_value(tmp_path):
    env = {"OTHER": f"x{protocol.TOKEN_ENV}=wrong", protocol.TOKEN_ENV: "right", "PATH": "/bin"}
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env=env)
    try:
        # None (not known yet) for a moment while the process execs, then its value
        wait_until(lambda: procfs.read_token(proc.pid) is not None, 5, "an environment")
        assert procfs.read_token(proc.pid) == "right"
    finally:
        proc.kill()
        proc.wait()


# -- limits, end to end ---------------------------------------------------------------------
def test_time_limit_kills_at_the_limit_and_sigkills_after_the_grace(tmp_path, marker):
    """How close to the limit the kill comes is measured by benchmarks/watchdog.py."""
    limit, grace = 0.5, 1.5
    spec = write_spec(
        tmp_path,
        _fake_search(
            "time",
            ["sleep_forever", "ignore_sigterm"],
            marker,
            auto_kill_max_time=limit,
            kill_grace=grace,
            auto_kill_loss=7.0,
        ),
    )
    proc = run_hypermax_here(spec)
    assert proc.returncode == 0, proc.stderr
    trials = by_param(tmp_path / "results" / "time", "fake")
    for trial in trials.values():
        assert trial["state"] == "killed"
        ran = re.fullmatch(r"time limit: ran (\d+\.\d\d) s, limit 0\.5 s", trial["reason"])
        assert ran and float(ran[1]) >= limit, trial["reason"]
        assert trial["loss"] == 7.0  # auto_kill_loss
    # SIGTERM ends the one at once, without waiting the grace; the other ignores it: SIGKILL
    # after the grace, and not as late as the kill ladder's give-up time
    assert limit < trials["sleep_forever"]["time"] < limit + grace
    assert limit + grace <= trials["ignore_sigterm"]["time"] < limit + grace + KILL_WAIT_SECONDS
    assert_none_alive(marker)


def test_memory_limit_kills_the_tree_of_a_grandchild_that_eats(tmp_path, marker):
    spec = write_spec(
        tmp_path,
        _fake_search(
            "ram", ["memory_grandchild"], marker, auto_kill_max_ram=200, auto_kill_max_time=30
        ),
    )
    proc = run_hypermax_here(spec)
    assert proc.returncode == 1, proc.stderr  # the only trial failed: "every trial failed"
    trial = by_param(tmp_path / "results" / "ram", "fake")["memory_grandchild"]
    assert trial["state"] == "killed" and trial["loss"] is None
    assert trial["reason"].startswith("memory limit: tree PSS ")
    assert trial["reason"].endswith("limit 200 MiB")
    assert 200 < trial["peak_rss_mib"] < 1024
    eater = int((tmp_path / "results" / "ram" / "trials" / "1" / "eater").read_text())
    assert not pid_alive(eater)
    assert_none_alive(marker)


def test_system_memory_limit_kills(tmp_path, marker):
    spec = write_spec(
        tmp_path,
        _fake_search(
            "system", ["sleep_forever"], marker, auto_kill_max_system_ram=1, kill_grace=0.5
        ),
    )
    proc = run_hypermax_here(spec)
    trial = by_param(tmp_path / "results" / "system", "fake")["sleep_forever"]
    assert trial["state"] == "killed", proc.stderr
    assert trial["reason"].startswith("system memory limit: ")
    assert trial["reason"].endswith("limit 1 MiB")
    assert_none_alive(marker)


def test_cpu_time_and_peak_rss_are_recorded(tmp_path, marker):
    (tmp_path / "work.py").write_text(
        "import time\n"
        "def train(params):\n"
        "    block = bytearray(120 * 1024 * 1024)\n"
        "    end = time.process_time() + 0.3\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
        "    return len(block) * 0.0\n"
    )
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"constant": 1}}},
            "function": {
                "type": "python_function",
                "module": "work",
                "name": "train",
                "env": {MARKER_ENV: marker},
            },
            "search": {"name": "usage", "iterations": 1},
        },
    )
    proc = run_hypermax_here(spec)
    assert proc.returncode == 0, proc.stderr
    trial = by_param(tmp_path / "results" / "usage", "x")[1]
    assert trial["state"] == "ok"
    assert trial["cpu_time"] >= 0.3
    assert 120 <= trial["peak_rss_mib"] < 400


#: a helper that burns 0.3 s of CPU then waits to be killed (never reaped by the trial), and
#: short children the trial reaps, each gone before the watchdog's next look
CPU_OF_CHILDREN = """
import os, pathlib, subprocess, sys, time
BURN = "import time\\nend = time.process_time() + {burn}\\nwhile time.process_time() < end: pass\\n"
done = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "burned")
helper = BURN.format(burn=0.3) + f"open({str(done)!r}, 'w').close()\\ntime.sleep(60)\\n"
subprocess.Popen([sys.executable, "-c", helper])
for _ in range(6):
    subprocess.run([sys.executable, "-c", BURN.format(burn=0.05)], check=True)
while not done.exists():
    time.sleep(0.01)
print(0.5)
"""


#: a command that burns 0.5 s of CPU, run by a shell that waits for it, then ends at once
BURN_HALF_A_SECOND = """
import time
end = time.process_time() + 0.5
while time.process_time() < end:
    pass
print(0.5)
"""


def test_cpu_time_counts_children_the_trial_reaped_and_a_helper_it_left(tmp_path, marker):
    (tmp_path / "children.py").write_text(CPU_OF_CHILDREN)
    (tmp_path / "burn.py").write_text(BURN_HALF_A_SECOND)
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"enum": ["children", "burn"]}},
            },
            "function": {
                "type": "executable",  # run by a shell, as a script's commands are
                "command": [
                    "sh",
                    "-c",
                    '"$0" "$1"; exit 0',
                    sys.executable,
                    f"{tmp_path}/{{x}}.py",
                ],
                "env": {MARKER_ENV: marker},
                "kill_grace": 0.5,
                "parallel": 2,
            },
            "search": {"name": "children", "method": "grid"},
        },
    )
    proc = run_hypermax_here(spec)
    assert proc.returncode == 0, proc.stderr
    trials = by_param(tmp_path / "results" / "children", "x")
    assert {trial["state"] for trial in trials.values()} == {"ok"}
    # the helper's 0.3 s, seen by the watchdog, and the 6 x 0.05 s of children too short for
    # it to see, which the kernel added to the trial's own as it reaped them
    assert 0.6 <= trials["children"]["cpu_time"] < 3.0, trials["children"]["cpu_time"]
    # the command's 0.5 s once, though it ended in the same tick as the shell that reaped it
    assert 0.5 <= trials["burn"]["cpu_time"] < 0.9, trials["burn"]["cpu_time"]
    assert_none_alive(marker)


#: a helper that holds 80 MiB for a moment, then waits to be killed; the trial ends as soon as
#: the helper's memory is freed, long before the watchdog would sample it again
SPIKE_IN_A_HELPER = """
import os, pathlib, subprocess, sys, time
done = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "spiked")
spike = f"b = bytearray(80 << 20)\\ndel b\\nopen({str(done)!r}, 'w').close()\\n"
subprocess.Popen([sys.executable, "-c", spike + "import time\\ntime.sleep(60)\\n"])
while not done.exists():
    time.sleep(0.005)
print(0.5)
"""


def test_the_peak_holds_a_spike_of_a_helper_the_trial_left_running(tmp_path, marker):
    (tmp_path / "work.py").write_text(SPIKE_IN_A_HELPER)
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"constant": 1}}},
            "function": {
                "type": "executable",
                "command": [sys.executable, str(tmp_path / "work.py")],
                "env": {MARKER_ENV: marker},
                "kill_grace": 0.5,
            },
            "search": {"name": "spike", "iterations": 1},
        },
    )
    proc = run_hypermax_here(spec)
    assert proc.returncode == 0, proc.stderr
    trial = by_param(tmp_path / "results" / "spike", "x")[1]
    assert trial["state"] == "ok"
    assert 80 <= trial["peak_rss_mib"] < 200, trial["peak_rss_mib"]
    assert_none_alive(marker)
