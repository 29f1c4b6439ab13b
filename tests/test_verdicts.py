"""A trial that waits for early stopping's verdict on each report: real processes, real
signals, no runner in between."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import textwrap

import pytest

from hypermax.execution import protocol, reports

#: reports steps 1-3 and says, after each, whether it went on; ``THREADED`` also starts a thread
#: that could take a signal sent to the process; ``OFF_MAIN`` reports from another thread;
#: ``THREAD_FIRST`` reports step 0 from another thread first; ``BEFORE`` reports step 0 before it
#: listens for verdicts (as a preloaded module may at its import, in the server trials fork from)
TRIAL = textwrap.dedent(
    """
    import os, sys, threading, time
    from hypermax.execution import reports

    if os.environ.get("BEFORE"):
        reports.send_report(sys.stdout, 0, {"loss": 1.0})
    reports.listen_for_stop()
    if os.environ.get("LATE_WAIT"):  # the first wait begins well after the mask: says when
        import _signal
        real_wait = _signal.sigtimedwait
        def late_wait(signals, timeout):
            _signal.sigtimedwait = real_wait
            print("masked", flush=True)
            time.sleep(0.3)
            return real_wait(signals, timeout)
        _signal.sigtimedwait = late_wait
    if os.environ.get("THREADED"):
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    if os.environ.get("THREAD_FIRST"):
        first = threading.Thread(target=reports.send_report, args=(sys.stdout, 0, {"loss": 1.0}))
        first.start()
        first.join()

    def run():
        for step in (1, 2, 3):
            try:
                reports.send_report(sys.stdout, step, {"loss": 1.0})
            except reports.TrialStopped:
                print("stopped at", step, flush=True)
                return
            print("went on", step, flush=True)

    if os.environ.get("LATE_PAIR"):  # reports 1 and 2 wait out their verdicts, which come
        import _signal                 # while it blocks them: then both at once

        for step in (1, 2):
            reports.send_report(sys.stdout, step, {"loss": 1.0})
        before = _signal.pthread_sigmask(_signal.SIG_BLOCK, {reports.GO_ON_SIGNAL})
        print("blocked", flush=True)
        while not os.path.exists(os.environ["LATE_PAIR"]):
            time.sleep(0.01)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, before)
        os.environ[reports.VERDICT_WAIT_ENV] = "60"
        reports.send_report(sys.stdout, 3, {"loss": 1.0})
        print("went on", 3, flush=True)
    elif os.environ.get("IDLE"):  # report 1 waits its verdict out; the trial then computes
        reports.send_report(sys.stdout, 1, {"loss": 1.0})
        print("computing", flush=True)
        while not os.path.exists(os.environ["IDLE"]):
            time.sleep(0.01)
        with open("/proc/self/status") as status:  # the signals queued for the process
            queued = [line.split()[1] for line in status if line.startswith("ShdPnd:")]
        print("queued", int(queued[0], 16) >> (reports.GO_ON_SIGNAL - 1) & 1, flush=True)
    elif os.environ.get("OFF_MAIN"):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    elif os.environ.get("FORKED"):
        pid = os.fork()
        if pid == 0:
            run()
            os._exit(0)
        os.waitpid(pid, 0)
    else:
        run()
    """
)


class Trial:
    """The trial above as a process whose stdout is read line by line; verdicts are sent to it
    as hypermax sends them (the count of them in its folder, then the signal)."""

    def __init__(self, wait: float, **env: str) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.sent = 0
        result_file = os.path.join(self.folder.name, "result.json")
        environ = {
            **os.environ,
            reports.VERDICT_WAIT_ENV: str(wait),
            protocol.RESULT_FILE_ENV: result_file,
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TRIAL], stdout=subprocess.PIPE, text=True, env=environ
        )

    def line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def line_soon(self) -> str:
        """The next line, or "" when none comes before the trial would wait out a verdict."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        return self.line() if ready else ""

    def report(self) -> int:
        step, _ = reports.parse_report(self.line()) or (None, None)
        assert step is not None
        return step

    def verdict(self, signum: int) -> None:
        if signum == reports.GO_ON_SIGNAL:
            self.sent += 1
            path = os.path.join(self.folder.name, reports.VERDICTS_FILE)
            reports.write_verdicts_sent(path, self.sent)
        os.kill(self.proc.pid, signum)

    def rest(self) -> list[str]:
        out, _ = self.proc.communicate(timeout=30)
        return out.split("\n")[:-1]


def test_a_report_waits_for_its_verdict_and_a_stop_raises_at_that_report():
    trial = Trial(wait=60)
    assert trial.report() == 1
    trial.verdict(reports.GO_ON_SIGNAL)
    assert trial.line() == "went on 1"
    assert trial.report() == 2
    trial.verdict(reports.STOP_SIGNAL)
    assert trial.rest() == ["stopped at 2"]  # it began no step 3


def test_the_verdict_reaches_the_main_thread_when_another_thread_could_take_a_signal():
    """The main thread blocks the verdict's signals while it waits: were they not handed to it
    in the wait, the sleeping thread would take them, and the wait would last its 60 s."""
    trial = Trial(wait=60, THREADED="1")
    for step in (1, 2):
        assert trial.report() == step
        trial.verdict(reports.GO_ON_SIGNAL)
        assert trial.line() == f"went on {step}"
    assert trial.report() == 3
    trial.verdict(reports.STOP_SIGNAL)
    assert trial.rest() == ["stopped at 3"]


def test_a_verdict_that_another_thread_takes_before_the_wait_begins_still_ends_it():
    """Sent after the main thread masked it and before its wait began, the verdict goes to the
    thread that does not mask it; the wait (60 s here) must not last as if none came."""
    trial = Trial(wait=60, THREADED="1", LATE_WAIT="1")
    assert trial.report() == 1
    assert trial.line() == "masked"
    trial.verdict(reports.GO_ON_SIGNAL)
    went_on, _, _ = select.select([trial.proc.stdout], [], [], 20)
    assert went_on, "the verdict was not seen: the wait goes on"
    assert trial.line() == "went on 1"
    for step in (2, 3):
        assert trial.report() == step
        trial.verdict(reports.GO_ON_SIGNAL)
        assert trial.line() == f"went on {step}"
    assert trial.rest() == []


def test_without_a_verdict_in_time_a_trial_goes_on_and_a_late_one_counts_for_its_report():
    trial = Trial(wait=0.2)
    assert trial.report() == 1
    assert trial.line() == "went on 1"  # nobody answered within 0.2 s
    trial.verdict(reports.GO_ON_SIGNAL)  # report 1's verdict, late
    assert trial.report() == 2
    trial.verdict(reports.STOP_SIGNAL)  # report 2 waited for its own verdict: this one
    assert trial.rest() == ["stopped at 2"]


def test_late_verdicts_that_come_at_once_each_count_for_their_report(tmp_path):
    """Python runs a signal's handler once for any number that came before it could: two late
    verdicts taken so counted as one, and every later report waited for a verdict already
    sent (60 s here, the 2 s of VERDICT_WAIT in a search)."""
    go = tmp_path / "go"
    trial = Trial(wait=0.2, LATE_PAIR=str(go))
    assert [trial.report(), trial.report()] == [1, 2]  # nobody answered within 0.2 s
    assert trial.line() == "blocked"
    trial.verdict(reports.GO_ON_SIGNAL)  # report 1's verdict, late
    trial.verdict(reports.GO_ON_SIGNAL)  # report 2's
    go.write_text("")
    assert trial.report() == 3
    trial.verdict(reports.GO_ON_SIGNAL)
    went_on = trial.line_soon()
    trial.proc.kill()
    trial.rest()
    assert went_on == "went on 3"


def test_verdicts_that_come_while_the_trial_computes_are_not_left_queued(tmp_path):
    """Each queued signal counts against its user's limit of pending signals (all processes of
    the user together): a trial whose workers report while its main process never waits must
    not keep one queued per report (a worker's kill() then failed, EAGAIN)."""
    go = tmp_path / "go"
    trial = Trial(wait=0.2, IDLE=str(go))
    assert trial.report() == 1
    assert trial.line() == "computing"
    for _ in range(3):
        trial.verdict(reports.GO_ON_SIGNAL)
    go.write_text("")
    assert trial.rest() == ["queued 0"]


def test_the_verdict_on_another_threads_report_does_not_pass_for_the_next_ones():
    """hypermax judges every report, a thread's too; before, the verdict on the thread's report
    ended the wait of the main thread's next one, which went on before its own verdict came,
    and trained a step more before the stop of step 1 raised, at step 2."""
    trial = Trial(wait=60, THREAD_FIRST="1")
    assert trial.report() == 0
    trial.verdict(reports.GO_ON_SIGNAL)  # the thread's report's, which it does not wait for
    assert trial.report() == 1
    trial.verdict(reports.STOP_SIGNAL)
    assert trial.rest() == ["stopped at 1"]


def test_a_report_sent_before_the_trial_listens_does_not_count_for_its_verdicts():
    """A preloaded module that reports at its import does so in the server, before it forks
    the trial: that report gets no verdict, and must not leave each report of the trial
    waiting for one more verdict than it gets (60 s here, the 2 s of VERDICT_WAIT in a search)."""
    trial = Trial(wait=60, BEFORE="1")
    assert trial.report() == 0
    assert trial.report() == 1
    trial.verdict(reports.GO_ON_SIGNAL)
    assert trial.line_soon() == "went on 1"
    assert trial.report() == 2
    trial.verdict(reports.STOP_SIGNAL)
    assert trial.rest() == ["stopped at 2"]


@pytest.mark.parametrize("where", ["OFF_MAIN", "FORKED"])
def test_a_report_off_the_main_thread_in_a_forked_process_or_without_the_setting_never_waits(where):
    """Nobody answers, and the wait would be 60 s: each trial runs to its end at once."""
    elsewhere = Trial(wait=60, **{where: "1"})
    assert [line for line in elsewhere.rest() if not line.startswith("HYPERMAX_REPORT")] == [
        f"went on {step}" for step in (1, 2, 3)
    ]
    plain = subprocess.run(
        [sys.executable, "-c", TRIAL],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != reports.VERDICT_WAIT_ENV},
    )
    assert plain.stdout.count("went on") == 3
