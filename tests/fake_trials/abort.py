"""Aborts (SIGABRT), as a failed C assertion would."""

import os

print("about to abort")
os.abort()
