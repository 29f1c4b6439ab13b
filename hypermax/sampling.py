"""What ``hypermax sample`` prints: the params a search of a spec would run next."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypermax.errors import HypermaxError, current_folder, shown_file
from hypermax.journal_replay import read_state
from hypermax.results import ResultsFolder
from hypermax.results.lock import of_another_host
from hypermax.trial import Proposal, Trial, TrialState

if TYPE_CHECKING:
    from hypermax.proposals import Proposals
    from hypermax.spec import Spec


@dataclass(frozen=True)
class Sampling:
    """What ``hypermax sample`` goes on from (:func:`sampling_history`).

    Attributes:
        trials: the trials of the spec's results folder, when it holds this spec's search.
        seed: the seed that search keeps, else the seed a new search would take.
        note: why the folder was left aside (another search's, or unreadable), or None.
        seed_drawn: whether ``seed`` was drawn now, for want of one (a search draws its own).
        new: whether a search would learn from its ``warm_start`` first: its folder holds no
            trial of it (no journal, or one that a run left before its first trial).
        cut: how many trials of its warm start the journal holds, when their import was cut
            short (a crash): a search resumed there imports the rest first; else 0.
    """

    trials: list[Trial]
    seed: int
    note: str | None
    seed_drawn: bool
    new: bool
    cut: int = 0


def sampling_history(spec: Spec) -> Sampling:
    """What ``hypermax sample`` goes on from: the spec's results folder, read, not locked (a
    search may be running there), when it holds this spec's search; else a new search."""
    from hypermax.search_folder import search_seed

    if not spec.results_folder.is_absolute():  # not to be found from a removed folder
        current_folder(str(spec.results_folder))
    folder = ResultsFolder(spec.results_folder)
    # a search that runs there, here or on another host: its last line may be being written
    writing = folder.searching() is True or of_another_host(folder.path)
    try:  # no metadata: the optimizer needs none
        history = read_state(folder.journal, writing, all_metadata=False)
    except (OSError, HypermaxError) as exc:
        trials, header = [], None
        note: str | None = f"{folder.path}: not read ({exc}); sampling as a new search"
    else:
        trials, header, note = list(history.trials.values()), history.header, None
        if header is not None and not spec.makes(header.get("spec_hash")):
            trials, header = [], None
            note = f"{folder.path} holds a search with another space, function or loss: not used"
    seed = search_seed(spec, header)
    kept = header is not None and header.get("seed") == seed
    cut = history.cut_import_of(spec.search.warm_start) if trials else 0
    return Sampling(trials, seed, note, spec.search.seed is None and not kept, not trials, cut)


def sample(spec: Spec, n: int, say: Callable[[str], None]) -> Iterator[dict[str, Any]]:
    """The params of the next ``n`` trials a search of ``spec`` would run, each as if those
    before it were still running (see :func:`sampled`): the space's defaults and the spec's
    points first in a new search, which learns from its ``warm_start`` first; after the trials
    of its results folder when it holds its search (after those running now, when a search runs
    there). ``say`` gets one-line notes: the folder left aside, what a run would say of an
    edited seed or method, the params a search would not run (beyond its ``iterations``),
    the seed drawn for want of one."""
    from hypermax.proposals import Proposals
    from hypermax.search import build_optimizer
    from hypermax.search_folder import edits_since_start
    from hypermax.space import Space

    space = Space.from_spec(spec)
    history = sampling_history(spec)
    if history.note:
        say(f"hypermax: {history.note}")
    else:
        for line in edits_since_start(spec.results_folder, spec):
            say(line)
    proposals = Proposals(
        build_optimizer(spec, space, history.seed), lambda text: say(f"hypermax: {text}")
    )
    live = ResultsFolder(spec.results_folder).searching() is True
    proposals.resume(
        history.trials,
        spec.search.points,
        space.defaults(),
        live=live,
        spec_name=shown_file(spec.path),
    )
    running_now = list(proposals.running)  # what a live search runs now
    if spec.search.warm_start and (history.new or history.cut):
        from hypermax.warmstart import imported_trials, warm_start_trials

        imported = imported_trials(
            space, warm_start_trials(spec), proposals.take_id, done=history.cut
        )
        proposals.optimizer.tell_many(imported)
    printed = 0
    for proposal in sampled(proposals, n):
        printed += 1
        yield proposal.params
    if printed < n:
        these = f"{printed} of the {n} asked for" if printed else f"none of the {n} asked for"
        say(f"hypermax: search.method {spec.search.method} proposes nothing more: {these}")
    done = sum(trial.state.counted for trial in history.trials)
    room = max(spec.search.iterations - done - len(running_now), 0)
    if printed > room:
        so_far = f"{done} done" + (f", {len(running_now)} running" if running_now else "")
        so_far = f" ({so_far})" if done or running_now else ""
        these = f"only the first {room} of these" if room else "none of these"
        iterations = spec.search.iterations
        say(f"hypermax: search.iterations is {iterations}{so_far}: a search runs {these}")
    if history.seed_drawn:
        seed = history.seed
        say(
            f"hypermax: no search.seed: sampled with seed {seed}, drawn now; a search draws its "
            f"own (--seed {seed} runs these)"
        )


def sampled(proposals: Proposals, n: int) -> Iterator[Proposal]:
    """The next ``n`` proposals of a search (``hypermax sample``), each asked as if those before
    it were still running. An optimizer that proposes nothing more while they run (NGOpt, tuned
    for ``parallel`` trials at once) is told that the earliest of them (those a live search
    runs now first) failed, as the search would tell it, and asked again; fewer than ``n`` only
    when it has nothing more to propose."""
    running = list(proposals.running)
    while n > 0:
        proposal = proposals.next()
        if proposal is None:
            if proposals.exhausted or not running:
                return
            earliest = running.pop(0)
            proposals.optimizer.tell(
                Trial(earliest.trial_id, earliest.params, earliest.internal, TrialState.FAILED)
            )
            proposals.waiting = False
            continue
        running.append(proposal)
        n -= 1
        yield proposal
