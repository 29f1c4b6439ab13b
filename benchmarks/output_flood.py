"""An executable that floods its stdout with short lines: how long its trial takes against the
same program whose output ``cat`` reads and throws away.

    python benchmarks/output_flood.py [--mb 50 200]

The program prints N MB of one kind of line (a number a line, as a loop printing its loss does;
a progress line that is no result; a line of words, also with a report every 1,000 lines) and
ends with its result. hypermax reads
all of its stdout (the log keeps 20 MiB of it, the rest is dropped): what it spends per line
is time the program waits in its writes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hypermax

LINES = {
    "number": "0.125",
    "progress": "12/500 [=====>........] - ETA: 3s - loss: 0.4123",
    "words": "epoch 1 batch 12 loss 0.4123 accuracy 0.8812",
    "words+report": "\n".join(
        ["epoch 1 batch 12 loss 0.4123 accuracy 0.8812"] * 999
        + ['HYPERMAX_REPORT {"step": 1, "loss": 0.4123}']
    ),
}

PROGRAM = """
import os, sys
line = (os.environ["LINE"] + "\\n").encode()
block = line * max(1, (1 << 22) // len(line))
left = int(os.environ["BYTES"])
out = sys.stdout.buffer
while left > 0:
    out.write(block[:left])
    left -= len(block)
out.write(b"\\n0.5\\n")
"""


def alone(program: Path, line: str, size: int) -> float:
    """The program's time with its stdout read by ``cat``, which throws it away."""
    started = time.perf_counter()
    subprocess.run(
        ["sh", "-c", f'"{sys.executable}" "{program}" | cat > /dev/null'],
        check=True,
        env={"LINE": line, "BYTES": str(size)},
    )
    return time.perf_counter() - started


def searched(program: Path, line: str, size: int, folder: Path) -> float:
    """The trial's time in a search."""
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"constant": 1}}},
        "function": {
            "type": "executable",
            "command": [sys.executable, str(program)],
            "env": {"LINE": line, "BYTES": str(size)},
        },
        "search": {"name": "flood", "iterations": 1, "method": "random"},
        "results": {"directory": str(folder / "results")},
    }
    outcome = hypermax.optimize(spec)
    trial = outcome.trials[0]
    assert trial["loss"] == 0.5, trial
    return float(trial["time"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[50, 200])
    args = parser.parse_args()
    rows = []
    for mb in args.mb:
        for kind, line in LINES.items():
            with tempfile.TemporaryDirectory() as tmp:
                program = Path(tmp) / "flood.py"
                program.write_text(PROGRAM)
                size = mb << 20
                rows.append(
                    {
                        "mb": mb,
                        "line": kind,
                        "alone_s": alone(program, line, size),
                        "trial_s": searched(program, line, size, Path(tmp)),
                    }
                )
            print(json.dumps(rows[-1]), flush=True)
    print("| MB | line | the program alone | its trial | trial ÷ alone |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = r["trial_s"] / r["alone_s"]
        print(
            f"| {r['mb']} | {r['line']} | {r['alone_s']:.2f} s | {r['trial_s']:.2f} s "
            f"| {ratio:.1f}x |"
        )


if __name__ == "__main__":
    main()
