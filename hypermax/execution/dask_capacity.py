"""What a Dask cluster's workers can take: whether one offers a trial's resources, why the
trials wait for a worker (none joined, none offers them, paused for memory, restarted for it),
and the workers that cannot import the objective's module."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hypermax.errors import SpecError
from hypermax.execution.dask_worker import finds_module
from hypermax.specfile.function import module_origin
from hypermax.values import quoted

if TYPE_CHECKING:
    from pathlib import Path

    from distributed import Client

    from hypermax.spec import ClusterSpec, FunctionSpec

#: how long ``hypermax validate --connect`` waits for the scheduler and the workers, at most
CHECK_SECONDS = 10.0


PAUSED = "paused (Dask pauses a worker whose own memory passes its --memory-limit's pause fraction)"


def offers(offered: dict[str, float], wanted: dict[str, float]) -> bool:
    """Whether a worker that offers ``offered`` can run a trial that holds ``wanted``."""
    return all(offered.get(name, 0) >= amount for name, amount in wanted.items())


def resources_text(resources: dict[str, float]) -> str:
    """``GPU=1, MEMORY=4e+09``."""
    return ", ".join(f"{name}={amount:g}" for name, amount in resources.items())


def waiting_note(client: Client, cluster: ClusterSpec, left: bool = False) -> str | None:
    """Why the trials sent to the cluster cannot start yet, when no worker there can run them:
    it has none (none joined yet or, ``left``, the last one left), or none offers the resources
    each trial holds. None when one can (or the scheduler did not say)."""
    try:
        workers = client.scheduler_info()["workers"]
    except Exception:  # the scheduler's answer is for a note only
        return None
    if not workers:
        restarts = "; ".join(memory_restarts(client))
        if restarts:
            return f"cluster: no worker stays at {cluster.scheduler}: {restarts}; the trials wait"
        if left:
            return f"cluster: no worker is left at {cluster.scheduler}; the trials wait for one"
        return f"cluster: no worker has joined {cluster.scheduler} yet; the trials wait for one"
    wanted = cluster.resources
    able = [w for w in workers.values() if offers(w.get("resources") or {}, wanted)]
    if not able:
        some = "the one worker" if len(workers) == 1 else f"none of the {len(workers)} workers"
        does = "does not offer" if len(workers) == 1 else "offers"
        return (
            f"cluster: {some} of {cluster.scheduler} {does} the resources each trial holds "
            f"({resources_text(wanted)}); the trials wait for one that does"
        )
    if all(w.get("status") == "paused" for w in able):
        return f"cluster: {_paused_text(len(able), len(workers), cluster.scheduler)}"
    return None


#: the scheduler's topic where a nanny says it restarted its worker for the worker's memory
RESTART_TOPIC = "worker-restart-memory"
#: how far back such restarts count: those of a worker since given more memory do not
RESTARTS_SECONDS = 60.0


def memory_restarts(client: Client) -> list[str]:
    """The nannies that restarted their worker lately for passing its ``--memory-limit`` (a
    limit too small for the worker itself: it is killed again as it starts, and never stays),
    from the events the scheduler keeps: one clause a nanny (none if the scheduler did not
    say)."""
    try:
        kept = client.sync(client.scheduler.events, topic=RESTART_TOPIC, callback_timeout=5.0)
    except Exception:  # for a note only
        return []
    from hypermax.ui.formatting import counted

    since = time.time() - RESTARTS_SECONDS
    seen: dict[str, list[float]] = {}
    for stamp, message in kept:
        if stamp >= since and isinstance(message, dict):
            seen.setdefault(str(message.get("worker")), []).append(float(message.get("rss") or 0))
    return [
        f"the nanny of worker {worker} restarted it {counted(len(rss), 'time')} in "
        f"{RESTARTS_SECONDS:g} s, its memory ({rss[-1] / 2**20:.0f} MiB) past its "
        "--memory-limit's terminate fraction"
        for worker, rss in sorted(seen.items())
    ]


def _paused_text(able: int, workers: int, scheduler: str) -> str:
    """That the ``able`` workers of ``workers`` that can run the trials are all paused."""
    only = "" if able == workers else " able to run the trials"
    if able == 1:
        subject = f"the one worker of {scheduler}{only} is"
    else:
        subject = f"{'all' if able == workers else 'the'} {able} workers of {scheduler}{only} are"
    return f"{subject} {PAUSED}; the trials wait for {'it' if able == 1 else 'one'} to go on"


def module_lacking(
    client: Client, function: FunctionSpec, spec_folder: Path, cluster: ClusterSpec, spec_name: str
) -> list[str]:
    """The workers that lack the function's ``module``, one found neither beside the spec nor
    installed here (the workers' to have). One that no worker finds (a name mistyped, a package
    not installed there) is the spec's mistake, raised before any trial runs, the client closed.
    """
    module = function.module
    if module is None or module_origin(module, spec_folder) is not None:
        return []
    lacking, said = workers_lacking(client, module, min(CHECK_SECONDS, cluster.lost_scheduler_wait))
    if said and len(lacking) == said:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        from hypermax.ui.formatting import counted

        where = f"the Dask cluster at {cluster.scheduler} (asked its {counted(said, 'worker')})"
        problem = f"cannot find module {quoted(module)} here, nor on {where}"
        raise SpecError(spec_name, [("function.module", problem)])
    return lacking


def workers_lacking(client: Client, module: str, wait: float) -> tuple[list[str], int]:
    """The workers that say a trial there cannot find ``module`` (one that is the workers' to
    have), and how many workers said either way (one that does not answer within ``wait``
    seconds, or cannot run hypermax's code, says nothing)."""
    found = client.sync(ask_workers, client, finds_module, client.nthreads(), wait, module)
    said = {address: there for address, there in found.items() if isinstance(there, bool)}
    return sorted(address for address, there in said.items() if not there), len(said)


async def ask_workers(
    client: Client, function: Callable[..., Any], workers: Iterable[str], wait: float, *args: Any
) -> dict[str, Any]:
    """``function(*args)`` on each worker: its answer, the error it raised there, or None: no
    answer within ``wait`` seconds (a worker that hangs: ``Client.run`` would wait for ever)."""
    workers = list(workers)

    async def ask(address: str) -> Any:
        run = client.run(function, *args, workers=[address], on_error="return", asynchronous=True)
        try:
            answers = await asyncio.wait_for(run, wait)
        except TimeoutError:
            return None
        return answers.get(address)

    return dict(zip(workers, await asyncio.gather(*map(ask, workers)), strict=True))
