"""The runner seam: start trials, hear from them, stop them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path

from hypermax.trial import KillReason, Launched, LiveStats, Outcome, Proposal, Report, RunnerNote

RunnerEvent = Report | Outcome | RunnerNote | Launched


def outcomes_of(
    events: Iterable[RunnerEvent], put_back: Callable[[Report | RunnerNote], None]
) -> list[Outcome | Launched]:
    """The outcomes among ``events``, with the starts of trials held on standby (each before
    its trial's Outcome); the reports and notes go to ``put_back``, in order (what ``close``
    returns, and what it leaves for ``poll``)."""
    outcomes: list[Outcome | Launched] = []
    for event in events:
        if isinstance(event, Outcome | Launched):
            outcomes.append(event)
        else:
            put_back(event)
    return outcomes


class BaseRunner(ABC):
    """Runs trials somewhere and reports back.

    ``submit`` starts a trial and returns at once; ``poll`` hands back what happened since the last
    call (intermediate reports and outcomes of ended trials), waiting up to ``timeout`` seconds for
    the first event; ``cancel`` ends a running trial, which then comes back from ``poll`` as an
    Outcome; ``close`` ends every trial still running and frees the runner's resources.
    """

    #: whether :meth:`interrupt`, called again, kills the trials still in their kill grace
    hurries = False

    #: where the trials run when not on this machine (``"on the Dask cluster at ..."``): Ctrl-Z,
    #: which stops hypermax, does not stop them there
    elsewhere: str | None = None

    #: where a note said while :meth:`submit` waits in the caller's thread (a preload server
    #: importing the objective) goes at once; without it, notes come from :meth:`poll`
    tell_now: Callable[[str, bool], None] | None = None

    @abstractmethod
    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        """Start trial ``proposal.trial_id`` with ``proposal.params``."""

    def prepare(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:  # noqa: B027
        """Make what trial ``proposal.trial_id`` needs before it starts (its folder, its files),
        ahead of its ``submit`` with the same arguments, while other trials run. Optional: a
        runner may do nothing here; one that does removes in ``close`` what it made for trials
        never submitted."""

    def standby(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> bool:
        """Hold trial ``proposal.trial_id`` to start the moment the process of a running trial
        ends, before that trial's Outcome is built and told (for an optimizer whose proposals
        do not use results, whose next proposal is known already). True when it is held:
        ``poll`` then says :class:`~hypermax.trial.Launched` when it starts, before anything
        else of it. False (the default: a runner that cannot) leaves it to ``submit``. Only
        one held trial starts for each process that ends; :meth:`withdraw` takes them back."""
        return False

    def withdraw(self) -> list[int]:
        """Take back every trial held by :meth:`standby` that has not started, and return
        their ids (their files stay prepared, for a later ``submit``). When it returns, no held
        trial is starting: each one that started is announced by ``poll``."""
        return []

    @abstractmethod
    def poll(self, timeout: float) -> list[RunnerEvent]:
        """Reports, outcomes and notes (:class:`~hypermax.trial.RunnerNote`) since the last call;
        waits up to ``timeout`` for the first."""

    @abstractmethod
    def cancel(self, trial_id: int, reason: KillReason) -> None:
        """Stop a running trial; its Outcome arrives through ``poll``."""

    def go_on(self, trial_id: int) -> None:  # noqa: B027 - a no-op unless overridden
        """Early stopping judged the trial's latest report and lets it go on. A runner whose
        trials wait for that verdict (see :func:`.reports.send_report`) lets the trial
        resume; by default trials never wait, and there is nothing to do."""

    def interrupt(self) -> None:  # noqa: B027 - a no-op unless overridden
        """The search is being interrupted (its running trials are cancelled next): a trial
        start under way gives up, its trial ending ``interrupted``, and none begins after.
        Called again (a second Ctrl-C): trials still stopping are killed without the rest of
        their ``kill_grace``. Called from any thread, or from a signal handler, so it only
        sets flags."""

    def pause(self) -> int:
        """Stop the running trials' processes and their clocks (hypermax itself is about to be
        stopped, by Ctrl-Z); how many were stopped. By default none can be: a runner whose
        trials run elsewhere leaves them running."""
        return 0

    def unpause(self) -> None:  # noqa: B027 - a no-op unless overridden
        """Continue what :meth:`pause` stopped (hypermax was continued: fg, bg)."""

    @abstractmethod
    def close(self) -> list[Outcome | Launched]:
        """Stop every running trial, wait for them, and return their outcomes (with the start
        of each trial held on standby that started since the last ``poll``, before its
        Outcome). Trials held on standby and not started never start."""

    def running(self) -> int:
        """How many trials are running now."""
        return len(self.live())

    def live(self) -> dict[int, LiveStats]:
        """What is known of each running trial right now."""
        return {}

    def process_ids(self, trial_id: int) -> tuple[int, float] | None:
        """(pid, create time) of a running trial's main process, when it has one here."""
        return None
