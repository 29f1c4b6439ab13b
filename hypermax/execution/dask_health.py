"""Whether the Dask cluster that runs a search's trials is still there: the workers running its
trials (:class:`WorkerWatch`) and the scheduler (:class:`SchedulerWatch`).

The :class:`~hypermax.execution.dask.DaskRunner` decides what a lost worker or scheduler means
for its trials; these only notice it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from hypermax.errors import SearchFailed
from hypermax.execution.dask_scheduler_calls import listen_to_worker

if TYPE_CHECKING:
    from distributed import Client

    from hypermax.spec import ClusterSpec


class WorkerWatch:
    """Listens for the scheduler's removal of each worker that runs one of the search's trials.

    Args:
        client: the runner's Dask client.
        on_lost: called with a worker's address once the scheduler removed it.
        on_loop: runs a coroutine function on the client's event loop and returns at once.
    """

    def __init__(
        self,
        client: Client,
        on_lost: Callable[[str], None],
        on_loop: Callable[..., None],
    ) -> None:
        self.client = client
        self.lock = threading.Lock()  # start events arrive on the client's event loop
        self.on_lost = on_lost
        self.on_loop = on_loop
        self._watched: set[str] = set()

    def watch(self, worker: str) -> None:
        """Listen for the removal of ``worker``; one the scheduler removed before it heard that
        the runner listens (a trial's start event and its worker's end crossed) is lost at once."""
        with self.lock:
            if worker in self._watched:
                return
            self._watched.add(worker)
        self.client.subscribe_topic(worker, lambda event: self._on_event(worker, event))
        self.on_loop(self._check, worker)

    def forget(self) -> None:
        """The scheduler answers again after it was lost: its subscriptions did not survive."""
        with self.lock:
            self._watched.clear()

    async def _check(self, worker: str) -> None:
        """Whether ``worker`` was removed before the runner listened for it (a lost scheduler:
        the runner hears of it as such)."""
        if await listen_to_worker(self.client, worker) is False:
            self.on_lost(worker)

    def _on_event(self, worker: str, event: tuple[float, dict[str, Any]]) -> None:
        if event[1].get("action") == "remove-worker":
            self.on_lost(worker)


#: at most one question a second to the scheduler, to see that it still answers
ASK_SECONDS = 1.0


class Scheduler(Enum):
    """What :meth:`SchedulerWatch.look` found."""

    UP = "up"  # answers, as it did at the last look
    BACK = "back"  # answers again, on a new connection: subscriptions are to be made again
    LOST_NOW = "lost now"  # stopped answering since the last look
    LOST = "lost"  # still does not answer, for less than cluster.lost_scheduler_wait


class SchedulerWatch:
    """Whether the scheduler answers, and for how long it has not.

    Args:
        client: the runner's Dask client.
        cluster: the spec's ``cluster`` section (``scheduler``, ``lost_scheduler_wait``).
    """

    def __init__(self, client: Client, cluster: ClusterSpec) -> None:
        self.client = client
        self.cluster = cluster
        self.lost_since: float | None = None  # monotonic, when it stopped answering
        self._comm = client.scheduler_comm  # a new one: the client connected again
        self._asked_at: float | None = None  # monotonic, when the question in flight was asked
        self._answered_at = time.monotonic()  # when the last question was answered

    @property
    def answers(self) -> bool:
        """Whether the scheduler answered at the last look (a new trial can be sent)."""
        return self.lost_since is None and self.client.status == "running"

    def look(self) -> Scheduler:
        """Look at the client's connection (see :meth:`check_wait` for how long it may be lost)."""
        if self.client.status == "running":
            # a connection that broke and came back between two looks is seen by its new comm
            if self.lost_since is not None or self.client.scheduler_comm is not self._comm:
                self.lost_since = None
                self._comm = self.client.scheduler_comm
                self.forgive()
                return Scheduler.BACK
            self._ask()
            return Scheduler.UP
        if self.lost_since is None:
            self.lost_since = time.monotonic()
            return Scheduler.LOST_NOW
        return Scheduler.LOST

    def ask_now(self) -> None:
        """Ask the scheduler at once, unless a question is in flight: a stop was just sent
        through it, and :meth:`silent_since` is to tell whether it answered since."""
        if self._asked_at is None:
            self._answered_at = 0.0
            self._ask()

    def silent_since(self, moment: float) -> bool:
        """Whether a question asked at or before ``moment`` (monotonic) is still unanswered: the
        scheduler has answered nothing since (a scheduler that hangs)."""
        asked = self._asked_at
        return asked is not None and asked <= moment

    def _ask(self) -> None:
        """Ask the scheduler a trivial question (one at a time, at most one a second): one that
        hangs (stopped, its event loop stuck) keeps its connections open and never says it is
        gone; it only leaves the question unanswered."""
        now = time.monotonic()
        if self._asked_at is not None or now - self._answered_at < ASK_SECONDS:
            return
        self._asked_at = now
        loop = self.client.loop
        if loop is not None:
            loop.add_callback(self._question)

    async def _question(self) -> None:
        with contextlib.suppress(Exception):  # a connection lost: look() sees it as such
            await self.client.scheduler.get_metadata(keys=["hypermax-question"], default=None)
        self._answered_at = time.monotonic()
        self._asked_at = None

    def forgive(self) -> None:
        """Forget the question in flight: this process was stopped (Ctrl-Z) while it waited
        for its answer, or the connection it went on is gone."""
        self._asked_at = None
        self._answered_at = time.monotonic()

    def hangs(self) -> bool:
        """Whether the question in flight has waited ``cluster.lost_scheduler_wait`` seconds."""
        asked = self._asked_at
        return asked is not None and time.monotonic() - asked > self.cluster.lost_scheduler_wait

    def check_answers(self) -> None:
        """Give up on a scheduler that hangs.

        Raises:
            SearchFailed: the question in flight has waited ``cluster.lost_scheduler_wait``
                seconds for its answer.
        """
        if self.hangs():
            raise self.lost()

    def check_wait(self) -> None:
        """Give up on a scheduler that is lost.

        Raises:
            SearchFailed: it has not answered for ``cluster.lost_scheduler_wait`` seconds, or
                the client gave up on it.
        """
        if self.lost_since is None:
            return
        waited = time.monotonic() - self.lost_since
        if waited > self.cluster.lost_scheduler_wait or self.client.status == "closed":
            raise self.lost()

    def lost(self) -> SearchFailed:
        """The error that ends the search for want of the scheduler."""
        wait = self.cluster.lost_scheduler_wait
        return SearchFailed(
            f"hypermax: lost the Dask scheduler at {self.cluster.scheduler}: no answer for "
            f"{wait:g} s (cluster.lost_scheduler_wait)"
        )
