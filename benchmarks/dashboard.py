"""What the dashboard costs: a burst of finished trials, and an idle search.

Runs the real dashboard (``DashboardSession``: reporter, queue, watch_pipe wake-ups, urwid
MainLoop, raw screen) on a 160x50 pseudo-terminal, fed by a fake driver in the worker thread:

1. burst: 200 trials start and finish per second for 10 s (2000 TrialStarted and 2000
   TrialFinished events). Reported:
   whether the UI kept up (largest backlog of events not yet shown, time to catch up after the
   last one), redraws, and the CPU of the process minus the feeding and terminal-reading threads
   (the terminal reader stands for the terminal, another process; its CPU is printed apart).
2. idle: a search with 2 running trials that only sends LiveUpdate once a second, for 10 s.
   Reported: CPU % of one core used by the dashboard (the process's, less the terminal
   reader's; the fake driver only sleeps).

    python benchmarks/dashboard.py [--rate 200] [--seconds 10] [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import struct
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urwid

from hypermax import events as ev
from hypermax.events import Command, Reporter, SearchOutcome
from hypermax.trial import LiveStats, Trial, TrialState
from hypermax.ui.dashboard import DashboardSession

COLS, ROWS = 160, 50


class Terminal:
    """A 160x50 pseudo-terminal whose output is read (and counted) by a thread."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.slave_in = os.fdopen(slave, "rb", buffering=0)
        self.slave_out = os.fdopen(os.dup(slave), "w", encoding="utf-8")
        self.bytes = 0
        self.cpu = 0.0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def reader_cpu(self) -> float:
        """CPU seconds the reading thread has used so far (while it runs)."""
        ident = self._reader.ident
        assert ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(ident))

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.bytes += len(data)
        self.cpu = time.thread_time()

    def screen(self) -> urwid.display.raw.Screen:
        return urwid.display.raw.Screen(input=self.slave_in, output=self.slave_out)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        self.slave_out.close()
        self.slave_in.close()
        self._reader.join(5)
        os.close(self.master)


class FakeDriver:
    """A :class:`~hypermax.events.SearchControl` whose ``script(driver)`` plays the search."""

    def __init__(self, script: Callable[[FakeDriver], None]) -> None:
        self.reporters: list[Reporter] = []
        self.script = script
        self.cpu = 0.0

    def request(self, command: Command) -> None:
        pass

    def subscribe(self, reporter: Reporter) -> None:
        self.reporters.append(reporter)

    def log_path(self, trial_id: int) -> Path:
        return Path("logs") / f"trial_{trial_id}.log"

    def emit(self, event: Any) -> None:
        for reporter in self.reporters:
            reporter.handle(event)

    def run(self) -> SearchOutcome:
        self.script(self)
        self.emit(ev.SearchFinished(None, 0, "benchmark done"))
        self.cpu = time.thread_time()
        return SearchOutcome(None, 0, "benchmark done", False, ())


def params(i: int) -> dict[str, Any]:
    return {
        "optimizer": {"name": ["adam", "sgd", "rmsprop"][i % 3], "learning_rate": 1e-4 * (i % 97)},
        "layers": i % 4 + 1,
        "dropout": (i % 13) / 20,
        "batch_size": 16 * (i % 16 + 1),
    }


def finished(i: int, now: float) -> Trial:
    loss = 0.2 + ((i * 7919) % 1000) / 1000.0 + 5.0 / (i + 1)
    state = TrialState.FAILED if i % 50 == 7 else TrialState.OK
    return Trial(
        i,
        params(i),
        {},
        state=state,
        loss=None if state is TrialState.FAILED else loss,
        time=0.01,
        started_at=now - 0.01,
        ended_at=now,
    )


def run(script: Callable[[FakeDriver, DashboardSession, Terminal], None]) -> dict[str, float]:
    """Run the dashboard around ``script``; return CPU seconds and counters."""
    term = Terminal()
    driver_box: dict[str, Any] = {}

    def play(driver: FakeDriver) -> None:
        script(driver, driver_box["session"], term)

    driver = FakeDriver(play)
    session = DashboardSession(driver, screen=term.screen())
    driver_box["session"] = session
    cpu0, wall0 = time.process_time(), time.monotonic()
    session.run()
    cpu1, wall1 = time.process_time(), time.monotonic()
    term.close()
    return {
        "cpu": cpu1 - cpu0,
        "ui_cpu": cpu1 - cpu0 - driver.cpu - term.cpu,
        "wall": wall1 - wall0,
        "redraws": session.redraws,
        "wakeups": session.reporter.wakeups,
        "bytes": term.bytes,
    }


def leave_when_ended(session: DashboardSession, term: Terminal) -> None:
    """Press q once the dashboard knows the search ended."""
    while not session.state.ended:
        time.sleep(0.01)
    term.type(b"q")


def burst(rate: int, seconds: float) -> dict[str, float]:
    total = int(rate * seconds)
    figures: dict[str, float] = {"events": total}

    def script(driver: FakeDriver, session: DashboardSession, term: Terminal) -> None:
        driver.emit(ev.SearchStarted("burst", "tpe", total, 4, Path("results/burst")))
        start = time.monotonic()
        backlog = 0
        best: Trial | None = None
        cpu_start, feeder_start = time.process_time(), time.thread_time()
        reader_start = term.reader_cpu()
        for i in range(1, total + 1):
            due = start + i / rate
            while (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            now = time.time()
            trial = finished(i, now)
            driver.emit(ev.TrialStarted(Trial(i, trial.params, {}, started_at=now - 0.01)))
            if trial.loss is not None and (best is None or trial.loss < (best.loss or 0)):
                best = trial
            driver.emit(ev.TrialFinished(trial, best, i))
            if i % 20 == 0:
                backlog = max(backlog, i - len(session.state.finished))
        sent = time.monotonic()
        while len(session.state.finished) < total:
            time.sleep(0.001)
        figures["catch_up"] = time.monotonic() - sent
        figures["feed_wall"] = sent - start
        figures["max_backlog"] = backlog
        figures["burst_cpu"] = time.process_time() - cpu_start
        figures["feeder_cpu"] = time.thread_time() - feeder_start
        figures["reader_cpu"] = term.reader_cpu() - reader_start
        leave_when_ended_after_finish(driver, session, term)

    def leave_when_ended_after_finish(
        driver: FakeDriver, session: DashboardSession, term: Terminal
    ) -> None:
        threading.Thread(target=leave_when_ended, args=(session, term), daemon=True).start()

    figures.update(run(script))
    return figures


def idle(seconds: float) -> dict[str, float]:
    figures: dict[str, float] = {}

    def script(driver: FakeDriver, session: DashboardSession, term: Terminal) -> None:
        driver.emit(ev.SearchStarted("idle", "tpe", 100, 2, Path("results/idle")))
        now = time.time()
        for i in range(1, 51):
            driver.emit(ev.TrialStarted(Trial(i, params(i), {}, started_at=now)))
            driver.emit(ev.TrialFinished(finished(i, now), None, i))
        driver.emit(ev.TrialStarted(Trial(51, params(51), {}, started_at=now)))
        driver.emit(ev.TrialStarted(Trial(52, params(52), {}, started_at=now)))
        while len(session.state.finished) < 50:
            time.sleep(0.01)
        time.sleep(1.0)  # let the first full draw happen outside the measured window
        cpu0, wall0, reader0 = time.process_time(), time.monotonic(), term.reader_cpu()
        for tick in range(1, int(seconds) + 1):
            stats = {tid: LiveStats(tid, float(tick), 100.0 + tick, 95.0, 1) for tid in (51, 52)}
            driver.emit(ev.LiveUpdate(stats))
            time.sleep(max(0.0, wall0 + tick - time.monotonic()))
        figures["idle_reader_cpu"] = term.reader_cpu() - reader0
        figures["idle_cpu"] = time.process_time() - cpu0 - figures["idle_reader_cpu"]
        figures["idle_wall"] = time.monotonic() - wall0
        threading.Thread(target=leave_when_ended, args=(session, term), daemon=True).start()

    run(script)
    return figures


def dashboard_cpu(burst: dict[str, float]) -> float:
    """The dashboard's CPU seconds over a burst: the process's less the fake driver's and the
    terminal reader's."""
    return burst["burst_cpu"] - burst["feeder_cpu"] - burst["reader_cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="finished trials per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args()

    b = burst(args.rate, args.seconds)
    print(f"burst: {b['events']:.0f} TrialFinished (+ as many TrialStarted) at {args.rate}/s")
    print(f"  fed in {b['feed_wall']:.2f} s (target {args.seconds:.2f} s)")
    print(f"  largest backlog {b['max_backlog']:.0f} events; caught up {b['catch_up']:.3f} s after")
    drawn = b["bytes"] / 1e6
    print(f"  wake-ups {b['wakeups']:.0f}, redraws {b['redraws']:.0f}, {drawn:.1f} MB drawn")
    ui = dashboard_cpu(b)
    print(
        f"  CPU over {b['feed_wall']:.1f} s: process {b['burst_cpu']:.2f} s, of which the fake "
        f"driver {b['feeder_cpu']:.2f} s and the terminal reader {b['reader_cpu']:.2f} s; "
        f"dashboard {ui:.2f} s = {100 * ui / b['feed_wall']:.0f}% of a core"
    )
    i = idle(args.idle_seconds)
    print(f"idle: LiveUpdate once a second for {i['idle_wall']:.1f} s")
    print(
        f"  CPU {i['idle_cpu']:.3f} s = {100 * i['idle_cpu'] / i['idle_wall']:.2f}% of a core "
        f"(the terminal reader's {i['idle_reader_cpu']:.3f} s left out)"
    )


if __name__ == "__main__":
    main()
