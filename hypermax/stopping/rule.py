"""``search.early_stopping`` as the spec states it, typed, with ASHA's rungs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from hypermax.specfile.schema import declared_default


def _default(key: str) -> Any:
    return declared_default("early_stopping", key)


@dataclass(frozen=True)
class EarlyStopping:
    """``search.early_stopping``, typed; defaults are those schema.json declares."""

    policy: str = _default("policy")  # "median" | "asha" | "none"
    min_trials: int = _default("min_trials")
    grace_steps: int = _default("grace_steps")
    eta: int = _default("eta")
    min_steps: int | None = None
    max_steps: int | None = None

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> EarlyStopping:
        """The rule of a validated ``early_stopping`` section (missing keys take defaults); its
        numbers as ints (``"max_steps": 27.0`` is rung 3, not 3.0, in what a trial is told)."""
        known = {f.name for f in fields(cls)}
        given: dict[str, Any] = {
            key: value if key == "policy" or value is None else int(value)
            for key, value in section.items()
            if key in known
        }
        return cls(**given)

    @property
    def first_rung(self) -> int:
        """ASHA's first rung: ``min_steps`` when given; else ``max_steps // eta**2`` (at least
        1), so that a trial is judged twice before its end, at about ``max_steps / eta**2`` and
        ``max_steps / eta`` (the loss after one step says little of the loss at the end); 1
        without ``max_steps``."""
        if self.min_steps is not None:
            return self.min_steps
        if self.max_steps is None:
            return 1
        return max(1, self.max_steps // self.eta**2)

    @property
    def first_judged(self) -> tuple[int, str]:
        """The lowest step the policy judges, and what sets it (``grace_steps (1)``, ``the first
        rung (step 3)``): a report below it is never judged."""
        if self.policy == "asha":
            return self.first_rung, f"the first rung (step {self.first_rung})"
        return self.grace_steps, f"grace_steps ({self.grace_steps})"

    def summary(self) -> str | None:
        """What the policy judges, in a line (``hypermax validate`` prints it): ``asha, rungs at
        steps 3, 9 (max_steps 27): the best 1/3 at a rung goes on, once 5 other trials reached
        it``; None for ``none``."""
        others = f"{self.min_trials} other trial{'' if self.min_trials == 1 else 's'}"
        if self.policy == "median":
            return (
                f"median, at each step from {self.grace_steps} on (grace_steps): a trial worse "
                f"than the median of the others stops, once {others} reached the step"
            )
        if self.policy != "asha":
            return None
        if self.max_steps is None:  # rungs go on: the first four, and that more follow
            rungs = [self.first_rung * self.eta**k for k in range(4)]
            where = f"rungs at steps {', '.join(map(str, rungs))}, ... (no max_steps)"
        else:  # many rungs (eta 2 up to a million steps): the first ones, the last, how many
            rungs = self.rungs(self.max_steps)
            listed = ", ".join(
                map(str, rungs if len(rungs) <= 6 else [*rungs[:3], "...", rungs[-1]])
            )
            count = "" if len(rungs) <= 6 else f"{len(rungs)} rungs, "
            at = "a rung at step" if len(rungs) == 1 else "rungs at steps"
            where = f"{at} {listed} ({count}max_steps {self.max_steps})"
        return f"asha, {where}: the best 1/{self.eta} at a rung goes on, once {others} reached it"

    def rungs(self, up_to: int) -> list[int]:
        """ASHA's rungs at or below step ``up_to``: ``first_rung * eta**k``, below ``max_steps``."""
        found = []
        rung = self.first_rung
        while rung <= up_to and self._before_end(rung):
            found.append(rung)
            rung *= self.eta
        return found

    def next_rung(self, step: int) -> int | None:
        """ASHA's first rung after ``step``; None past the last one."""
        rung = self.first_rung
        while rung <= step:
            rung *= self.eta
        return rung if self._before_end(rung) else None

    def _before_end(self, rung: int) -> bool:
        return self.max_steps is None or rung < self.max_steps
