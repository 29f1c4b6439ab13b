"""``python -m hypermax``."""

from hypermax.cli import run

if __name__ == "__main__":
    raise SystemExit(run())
