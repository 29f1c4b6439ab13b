"""Complains on stderr and exits with code 3."""

import sys

print("a loss that does not count: 0.5")
print("error: the data set is missing", file=sys.stderr)
sys.exit(3)
