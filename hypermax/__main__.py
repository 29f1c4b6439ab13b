"""``python -m hypermax``: the program's first module routes the signals before anything else is
imported (:mod:`hypermax.entry`)."""

from hypermax.entry import run

if __name__ == "__main__":
    raise SystemExit(run())
