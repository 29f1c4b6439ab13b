"""Prints binary garbage and no result, then exits 0."""

import os
import sys

sys.stdout.buffer.write(os.urandom(4096).replace(b"\n", b"") + b"\n\x00\xff not a loss\n")
