"""The watchdog finds a trial's newcomers by the pids handed out since its last look, without
listing the machine's processes; threads are never taken for processes."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid

import pytest
from fake_trials.helpers import MARKER_ENV, assert_none_alive, fake, wait_until

from hypermax.execution import procfs, protocol, watchdog
from hypermax.execution.kill import kill_ladder

pytestmark = pytest.mark.skipif(
    procfs.last_pid() is None, reason="pids are not known to be handed out in order here"
)


def _no_listing() -> set[int]:
    raise AssertionError("listed every process")


def test_a_daemon_that_escaped_since_the_last_look_is_found_without_a_listing(
    tmp_path, marker, monkeypatch
):
    monkeypatch.setattr(watchdog, "CATCH_UP_PIDS", 10**9)  # however busy the machine is
    token = uuid.uuid4().hex
    dog = watchdog.Watchdog()
    dog.tick()  # the last look that lists every process
    env = {**os.environ, MARKER_ENV: marker, protocol.TOKEN_ENV: token}
    env["HYPERMAX_TRIAL_DIR"] = str(tmp_path)
    proc = subprocess.Popen(fake("family"), env=env, start_new_session=True)
    dog.watch(1, proc.pid, token)
    up = wait_until(lambda: (tmp_path / "up").exists() and (tmp_path / "up"), 10, "family up")
    main, child, daemon = (int(pid) for pid in up.read_text().split())
    monkeypatch.setattr(watchdog, "list_pids", _no_listing)
    # the daemon left the session and its parent died: only its token ties it to the trial
    assert {main, child, daemon} <= {p.pid for p in dog.members(1)}
    assert kill_ladder(lambda: dog.members(1), 1.0, lambda text: None) == []
    proc.wait(5)
    assert_none_alive(marker)


def test_numbers_that_wrapped_around_or_too_many_newcomers_make_it_list_them_all(monkeypatch):
    table = watchdog.ProcessTable()
    table.scan()
    monkeypatch.setattr(watchdog, "CATCH_UP_PIDS", -1)  # whatever the count, it is too many
    listed = []
    monkeypatch.setattr(watchdog, "list_pids", lambda: listed.append(1) or procfs.list_pids())
    table.catch_up()
    assert listed == [1]
    assert table.get(os.getpid()) is not None


def test_a_thread_is_not_read_as_a_process():
    started, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), done.wait(10)))
    thread.start()
    try:
        started.wait(10)
        assert thread.native_id != os.getpid()
        assert procfs.read_proc(thread.native_id) is None  # /proc/<tid> exists, yet no process
        assert procfs.read_proc(os.getpid()) is not None
    finally:
        done.set()
        thread.join()


def test_a_process_whose_fork_was_under_way_at_the_last_look_is_read_by_the_next(monkeypatch):
    proc = subprocess.Popen(["sleep", "30"])
    try:
        table = watchdog.ProcessTable()
        table.scan()
        mark = procfs.last_pid()
        assert mark is not None
        # as if the listing came before the fork was done: the pid was handed out, unseen
        del table._procs[proc.pid]
        monkeypatch.setattr(watchdog, "CATCH_UP_MARGIN", mark - proc.pid + 1)
        monkeypatch.setattr(watchdog, "CATCH_UP_PIDS", 10**9)  # however busy the machine is
        monkeypatch.setattr(watchdog, "list_pids", _no_listing)
        assert proc.pid in {info.pid for info in table.catch_up()}
        assert table.get(proc.pid) is not None
    finally:
        proc.kill()
        proc.wait()


def test_a_process_seen_to_end_is_not_read_again_while_the_margin_covers_its_pid(monkeypatch):
    # a trial's pid, once its end was seen, stays below the mark for the next looks: each of
    # them read it again in vain (three looks per trial, for up to CATCH_UP_MARGIN pids)
    ended = subprocess.Popen(["sleep", "30"])
    unseen = subprocess.Popen(["sleep", "30"])
    try:
        table = watchdog.ProcessTable()
        table.scan()
        mark = procfs.last_pid()
        assert mark is not None
        ended.kill()
        ended.wait()
        monkeypatch.setattr(watchdog, "CATCH_UP_MARGIN", mark - min(ended.pid, unseen.pid) + 1)
        monkeypatch.setattr(watchdog, "CATCH_UP_PIDS", 10**9)  # however busy the machine is
        monkeypatch.setattr(watchdog, "list_pids", _no_listing)
        table.catch_up(watched=[ended.pid])  # the look that finds it gone
        assert table.get(ended.pid) is None
        del table._procs[unseen.pid]  # as if its fork was under way at that look
        read: list[int] = []

        def counted(pid: int) -> procfs.ProcInfo | None:
            read.append(pid)
            return procfs.read_proc(pid)

        monkeypatch.setattr(watchdog, "read_proc", counted)
        monkeypatch.setattr(watchdog, "CATCH_UP_MARGIN", procfs.last_pid() - ended.pid + 1)
        assert unseen.pid in {info.pid for info in table.catch_up()}  # still read
        assert ended.pid not in read
    finally:
        for proc in (ended, unseen):
            proc.kill()
            proc.wait()
