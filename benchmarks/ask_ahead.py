"""Would asking TPE one proposal ahead cost search quality? Best loss after 100 trials, two ways.

    python benchmarks/ask_ahead.py [--trials 100] [--seeds 20] [--method hyperopt_tpe]

- in turn: ask, evaluate, tell, as the driver does for TPE (each proposal knows every result
  before it);
- one ahead: the next proposal is asked before the running trial's result is told (what asking
  ahead without dropping the proposal would do at parallel 1: each proposal misses one result).

The driver asks ahead only for methods whose proposals do not use results (random search), where
the two are the same by construction; this measures what it would cost for TPE, which is also
why TPE is not asked ahead (besides the reproducibility of a resumed search).
"""

from __future__ import annotations

import argparse
import math
import statistics

from arguments import at_least  # run as a script: its folder is on sys.path
from quality import PROBLEMS

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import finished
from hypermax.space import Space


def best_loss(method: str, space: dict, objective, trials: int, seed: int, ahead: bool) -> float:
    optimizer = make_optimizer(method, Space(space), seed)
    best = math.inf
    next_proposal = optimizer.ask(1)
    for trial_id in range(1, trials + 1):
        proposal = next_proposal
        if ahead and trial_id < trials:
            next_proposal = optimizer.ask(trial_id + 1)  # before this trial's result is told
        loss = objective(proposal.params)
        optimizer.tell(finished(trial_id, proposal.internal, loss))
        if not ahead and trial_id < trials:
            next_proposal = optimizer.ask(trial_id + 1)
        best = min(best, loss)
    return best


def mean_sd(values: list[float]) -> str:
    """``mean ± standard deviation`` (± 0 for one seed)."""
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {spread:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=at_least(1), default=100)
    parser.add_argument("--seeds", type=at_least(1), default=20)
    parser.add_argument("--method", default="hyperopt_tpe")
    parser.add_argument("--problems", default="Branin,Hartmann6")
    args = parser.parse_args()
    print("| problem | in turn: best loss | one ahead: best loss | seeds where ahead is worse |")
    print("| --- | --- | --- | --- |")
    for name in args.problems.split(","):
        space, objective, _ = PROBLEMS[name]
        runs = [(s, a) for a in (False, True) for s in range(args.seeds)]
        losses = {r: best_loss(args.method, space, objective, args.trials, *r) for r in runs}
        turn = [losses[(s, False)] for s in range(args.seeds)]
        ahead = [losses[(s, True)] for s in range(args.seeds)]
        worse = sum(a > t for a, t in zip(ahead, turn, strict=True))
        print(f"| {name} | {mean_sd(turn)} | {mean_sd(ahead)} | {worse} of {args.seeds} |")


if __name__ == "__main__":
    main()
