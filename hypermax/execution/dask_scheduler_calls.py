"""What the Dask runner asks of the scheduler beside its tasks: stop marks, listening for a
worker, a stop delivered to a trial's worker, cancelled tasks.

Stop marks and listening are each one step of the scheduler's event loop, sent by
``Client.run_on_scheduler`` as a function made here that travels by value (the scheduler needs
no hypermax to run it); a scheduler that runs no code sent to it is asked the slower way,
through its metadata and the events it kept. The coroutines run on the client's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from hypermax.execution.dask_worker import claim_path
from hypermax.execution.dask_worker_trials import stop_trial

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Client, Future

    from hypermax.execution.dask_attempts import Attempt, Attempts

log = logging.getLogger("hypermax")

#: how long a call to the scheduler made from the driver's thread may wait for its answer: a
#: scheduler that hangs (stopped, an event loop that no longer turns) keeps its connections open
#: and answers nothing, and the driver, which an interrupt waits for, must not wait for ever
SCHEDULER_CALL_SECONDS = 5.0


def _on_scheduler(client: Client, function: Callable[..., Any], *args: Any) -> Any:
    """``Client.run_on_scheduler``, giving up after :data:`SCHEDULER_CALL_SECONDS`
    (``TimeoutError``)."""
    return client.run_on_scheduler(function, *args, callback_timeout=SCHEDULER_CALL_SECONDS)


def _metadata(client: Client, op: str, **kwargs: Any) -> Any:
    """The scheduler's ``get_metadata`` or ``set_metadata``, giving up after
    :data:`SCHEDULER_CALL_SECONDS` (``TimeoutError``)."""
    call = getattr(client.scheduler, op)
    return client.sync(call, callback_timeout=SCHEDULER_CALL_SECONDS, **kwargs)


def mark_stopped(client: Client, marks: list[tuple[list[str], str]]) -> dict[int, str]:
    """Mark attempts stopped in the scheduler's metadata, all in one round trip.

    Args:
        client: the runner's client.
        marks: ``(claim path, stop value)`` of each attempt stopped before it started.

    Returns:
        The indexes in ``marks`` of the attempts left unmarked, each with the worker whose run
        of their task claimed them already (it has started there, though its start event may
        not have arrived yet).
    """
    try:
        return {
            int(index): str(worker) for index, worker in _on_scheduler(client, _stop_marks(), marks)
        }
    except TimeoutError:  # a scheduler that hangs: the tasks are cancelled all the same
        log.warning("cannot mark trials stopped on the scheduler: it does not answer")
        return {}
    except Exception:  # a scheduler that runs no code sent to it: one mark at a time
        claimed: dict[int, str] = {}
        for index, (where, value) in enumerate(marks):
            try:
                seen = _metadata(client, "get_metadata", keys=where, default=None)
                if "worker" in (seen or {}):
                    claimed[index] = str(seen["worker"])
                else:
                    _metadata(client, "set_metadata", keys=[*where, "stop"], value=value)
            except Exception as exc:
                log.warning("cannot mark a trial stopped on the scheduler: %s", exc)
                break
        return claimed


def drop_unstarted(client: Client, attempts: list[Attempt]) -> list[Future | None]:
    """The tasks to cancel of ``attempts``, stopped before they started, where they wait (for
    a worker, a free thread). Each is marked stopped in the scheduler's metadata first, all in
    one round trip, so that a task that starts all the same finds its mark and does not run its
    trial. A task that claimed its attempt before its mark was set has started, though its start
    event has not arrived yet: it is left unmarked and its task is not cancelled under it (its
    start event delivers the stop); its attempt learns which worker took it."""
    marks = [
        (claim_path(a.task.topic, a.key), a.stop.value) for a in attempts if a.stop is not None
    ]
    claimed = mark_stopped(client, marks)
    started = {marks[index][0][-1]: worker for index, worker in claimed.items()}
    for attempt in attempts:
        attempt.claimed_by = started.get(attempt.key)
    return [a.future for a in attempts if a.key not in started]


async def listen_to_worker(client: Client, worker: str) -> bool | None:
    """Subscribe ``client`` to the event topic of ``worker`` and say whether the scheduler
    still has that worker (None: the scheduler does not answer).

    Asked in the same step as the client is added to the listeners, so that the worker's
    removal is either seen here or heard later. A scheduler that runs no code sent to it is
    asked for the removals it kept instead (one in the instant before the listener was added
    may be missed).
    """
    try:
        there: bool = await client.run_on_scheduler(
            _listen_to_worker(), worker, client.id, asynchronous=True
        )
    except Exception:
        try:
            kept = await client.scheduler.events(topic=worker)
        except Exception:
            return None
        there = not any(event[1].get("action") == "remove-worker" for event in kept)
    return there


async def deliver_stop(client: Client, attempt: Attempt, hurry: bool = False) -> None:
    """Stop ``attempt``'s trial on the worker that runs it (``stop_trial`` there, by
    ``Client.run``), if it is still to be stopped; a lost worker is heard of as such.
    ``hurry``: the search was interrupted again, its kill takes no more of its grace."""
    if attempt.done or attempt.stop is None or attempt.worker is None:
        return
    try:
        await client.run(
            stop_trial,
            attempt.key,
            attempt.stop.value,
            hurry,
            workers=[attempt.worker],
            on_error="ignore",
            asynchronous=True,
        )
    except Exception as exc:  # a lost worker: the runner hears of it as such
        log.warning("cannot stop trial %s on %s: %s", attempt.trial_id, attempt.worker, exc)


async def hurry_stops(client: Client, attempts: Attempts) -> None:
    """Deliver the stops of the trials in flight again, hurried: the search was interrupted
    again, and their kills take no more of their grace."""
    for attempt in attempts.in_flight():
        await deliver_stop(client, attempt, hurry=True)


async def cancel_tasks(client: Client, futures: list[Future | None]) -> None:
    """Cancel the tasks of ``futures`` (None: a task never sent), in one call."""
    with contextlib.suppress(Exception):
        await client.cancel([f for f in futures if f is not None], asynchronous=True)


def forget_search(client: Client, topics: list[str]) -> None:
    """Drop what the scheduler keeps of a runner that closes: its trials' claims (the metadata
    under its first topic) and the events of its ``topics``, which the scheduler keeps (up to a
    thousand a topic) for as long as it runs, search after search. A scheduler that runs no
    code sent to it keeps the events; the claims are cleared all the same."""
    try:
        _on_scheduler(client, _forget_search(), topics)
    except TimeoutError:  # a scheduler that hangs
        return
    except Exception:  # one that runs no code sent to it: every attempt's claim all the same
        with contextlib.suppress(Exception):
            _metadata(client, "set_metadata", keys=topics[:1], value=None)


def forget_gone_searches(client: Client) -> None:
    """Drop what the scheduler keeps of the searches whose hypermax died without closing its
    runner (SIGKILL, the OOM killer): the claims and the topics' events of each search whose
    topic no connected client listens to. A runner listens to its topic until it closes (its
    live topic it leaves while hypermax is stopped, and that one is kept with the first); a
    client connecting again after a blip lost the trials sent before it anyway."""
    with contextlib.suppress(Exception):
        _on_scheduler(client, _forget_gone_searches())


async def all_sent(client: Client) -> None:
    """Wait until what ``client`` sent the scheduler so far has left it."""
    while client.scheduler_comm is not None and client.scheduler_comm.buffer:
        await asyncio.sleep(0.005)


def _stop_marks() -> Callable[..., list[tuple[int, str]]]:
    """A function that marks many attempts stopped in the scheduler's metadata
    (``Client.run_on_scheduler`` with ``[(claim path, stop value), ...]``) and returns the
    indexes of those it left unmarked, already claimed by the run of their task, each with the
    worker of that run. Made here, it travels by value: the scheduler needs no hypermax to run
    it."""

    def stop_marks(
        marks: list[tuple[list[str], str]], dask_scheduler: Any
    ) -> list[tuple[int, str]]:
        claimed = []
        for index, (where, value) in enumerate(marks):
            seen = dask_scheduler.get_metadata(keys=where, default=None)
            if isinstance(seen, dict) and "worker" in seen:
                claimed.append((index, str(seen["worker"])))
            else:
                dask_scheduler.set_metadata(keys=[*where, "stop"], value=value)
        return claimed

    return stop_marks


def _forget_search() -> Callable[..., None]:
    """A function that drops a runner's claims and the events of its topics from the scheduler
    (``Client.run_on_scheduler`` with the topics). Made here, it travels by value."""

    def forget_search(topics: list[str], dask_scheduler: Any) -> None:
        dask_scheduler.task_metadata.pop(topics[0], None)
        kept = getattr(getattr(dask_scheduler, "_broker", None), "_topics", {})
        for topic in topics:
            kept.pop(topic, None)

    return forget_search


def _forget_gone_searches() -> Callable[..., int]:
    """A function that drops the claims and topics of the searches no connected client listens
    to (``Client.run_on_scheduler``), and returns how many. Made here, it travels by value."""

    def forget_gone_searches(dask_scheduler: Any) -> int:
        import re

        kept = getattr(getattr(dask_scheduler, "_broker", None), "_topics", {})
        clients = set(dask_scheduler.clients)
        gone = [
            name
            for name, topic in list(kept.items())
            if re.fullmatch(r"hypermax-[0-9a-f]{32}", name) and not topic.subscribers & clients
        ]
        for name in gone:
            dask_scheduler.task_metadata.pop(name, None)
            kept.pop(name, None)
            kept.pop(f"{name}-live", None)
        return len(gone)

    return forget_gone_searches


def _listen_to_worker() -> Callable[..., bool]:
    """A function that subscribes a client to the event topic of a worker (``Client
    .run_on_scheduler`` with the worker's address and the client's id) and returns whether the
    scheduler still has that worker, both in one step of the scheduler's event loop: a removal
    it has not told the client of comes later, to the client. Made here, it travels by value."""

    def listen_to_worker(worker: str, client: str, dask_scheduler: Any) -> bool:
        dask_scheduler.subscribe_topic(worker, client)
        return worker in dask_scheduler.workers

    return listen_to_worker
