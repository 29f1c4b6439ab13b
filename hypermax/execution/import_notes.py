"""What the user is told of a preload server's import of the objective that takes long: no
trial starts meanwhile, and the console or dashboard would otherwise say nothing."""

from __future__ import annotations

import math
from collections.abc import Callable


class ImportNotes:
    """Tells the user of a server's import of the objective that takes long, since no trial
    starts meanwhile: once it has taken ``after`` seconds, and how long it took once loaded.

    Args:
        after: seconds the import takes before it is told.
        limit: seconds it may take (then trials start fresh).
        tell: where the lines go, with whether each is news (:attr:`.events.Message.news`).
    """

    def __init__(self, after: float, limit: float, tell: Callable[[str, bool], None]) -> None:
        self.after = after
        self.limit = limit
        self.tell = tell
        self.told = False

    @classmethod
    def silent(cls, limit: float) -> ImportNotes:
        """Notes that tell nothing."""
        return cls(math.inf, limit, lambda text, news: None)

    def waited(self, seconds: float) -> None:
        """The import has taken ``seconds`` so far: told once they reach ``after``."""
        if not self.told and seconds >= self.after:
            self.told = True
            self.tell(
                f"preload: importing the objective's module ({seconds:.0f} s so far, at most "
                f"{self.limit:g} s); trials start once it is loaded",
                False,  # shown until it is loaded
            )

    def loaded(self, seconds: float) -> None:
        """The import ended after ``seconds``: told when it was told to take long."""
        if self.told:
            self.tell(f"preload: the objective's module loaded in {seconds:.1f} s", True)
