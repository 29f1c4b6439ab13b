"""Prints 100 MiB without a single newline, and no result."""

import sys

block = b"y" * (1024 * 1024)
out = sys.stdout.buffer
for _ in range(100):
    out.write(block)
out.flush()
