"""Prints ``HYPERMAX_REPORT`` lines as fast as it can (2,000, or as many as its first argument
says), then its loss; then creates the file its second argument names, if any."""

import sys
from pathlib import Path

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
for step in range(1, count + 1):
    print(f'HYPERMAX_REPORT {{"step": {step}, "loss": {1.0 / step}}}')
print(0.5, flush=True)
if len(sys.argv) > 2:
    Path(sys.argv[2]).write_text("")
