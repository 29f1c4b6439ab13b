"""Prints 100 MiB of text lines; with the argument ``result``, then a loss as its last line."""

import sys

line = b"x" * 1023 + b"\n"
block = line * 1024  # 1 MiB
out = sys.stdout.buffer
for _ in range(100):
    out.write(block)
if sys.argv[1:] == ["result"]:
    out.write(b"0.125\n")
out.flush()
