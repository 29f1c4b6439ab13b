"""The connection to a Dask cluster: connect, check it answers, keep Dask's logs off the screen."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from distributed import Client

from hypermax.errors import SearchFailed, one_line
from hypermax.execution.dask_worker import worker_facts

if TYPE_CHECKING:
    from hypermax.spec import ClusterSpec

log = logging.getLogger("hypermax")

#: how long ``hypermax validate --connect`` waits for the scheduler, at most
CHECK_SECONDS = 10.0


def connect(cluster: ClusterSpec, spec_name: str, wait: float | None = None) -> Client:
    """A client of the cluster's scheduler.

    Raises:
        SearchFailed: no scheduler answers within ``wait`` seconds (default
            ``cluster.lost_scheduler_wait``), or the TLS settings do not work.
    """
    from distributed.security import Security

    wait = cluster.lost_scheduler_wait if wait is None else wait
    try:
        security = Security(**cluster.security) if cluster.security else None
        return Client(
            cluster.scheduler,
            security=security,
            timeout=wait,
            set_as_default=False,
            name="hypermax",
        )
    except Exception as exc:
        raise SearchFailed(
            f"{spec_name}: cluster.scheduler: no Dask scheduler answers at {cluster.scheduler} "
            f"within {wait:g} s ({one_line(exc)})"
        ) from None


def dask_logs_to_hypermax() -> None:
    """From now on, Dask's warnings go to hypermax's log (``logs/hypermax.log`` during a search)
    instead of the terminal, which the dashboard owns. Dask logs even after its client closed
    (a reconnect giving up), so this is never undone."""
    dask_loggers = [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    for name in ("distributed", *dask_loggers):
        logger = logging.getLogger(name)
        own = [handler for handler in logger.handlers if not isinstance(handler, _Forward)]
        for handler in own:
            logger.removeHandler(handler)
        if own:  # a logger Dask set up (they do not propagate): forward its warnings
            logger.addHandler(_Forward(logging.WARNING))


class _Forward(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.handle(record)


def check_cluster(cluster: ClusterSpec, spec_name: str) -> list[str]:
    """What ``hypermax validate --connect`` says of the cluster: it answers, and its workers.

    Raises:
        SearchFailed: no scheduler answers, or a worker cannot run hypermax's tasks (hypermax
            missing there, or another version of it).
    """
    from hypermax import __version__

    client = connect(cluster, spec_name, min(CHECK_SECONDS, cluster.lost_scheduler_wait))
    try:
        threads = client.nthreads()
        facts = client.run(worker_facts, on_error="return") if threads else {}
    finally:
        client.close(timeout=5)
    total = sum(threads.values())
    lines = [f"{cluster.scheduler}: answers; {len(threads)} workers, {total} threads"]
    if cluster.resources:
        wanted = cluster.resources
        offering = [
            address
            for address, fact in facts.items()
            if isinstance(fact, dict)
            and all(fact["resources"].get(k, 0) >= v for k, v in wanted.items())
        ]
        shown = ", ".join(f"{k}={v:g}" for k, v in wanted.items())
        lines.append(f"{len(offering)} of them offer the resources each trial holds ({shown})")
    problems = []
    for address, fact in sorted(facts.items()):
        if isinstance(fact, BaseException):
            problems.append(f"worker {address} cannot run hypermax's tasks: {one_line(fact)}")
        elif fact["hypermax"] != __version__:
            problems.append(
                f"worker {address} runs hypermax {fact['hypermax']}, this machine {__version__}"
            )
    if problems:
        raise SearchFailed("\n".join(f"{spec_name}: cluster: {problem}" for problem in problems))
    return lines
