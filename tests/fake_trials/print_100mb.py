"""Prints 100 MiB in 1 KiB lines, then its loss as the last line."""

import sys

block = (b"x" * 1023 + b"\n") * 1024  # 1 MiB
out = sys.stdout.buffer
for _ in range(100):
    out.write(block)
out.write(b"0.125\n")
out.flush()
