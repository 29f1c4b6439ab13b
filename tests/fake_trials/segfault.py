"""Reads address 0: a segmentation fault (SIGSEGV)."""

import ctypes

print("about to crash")
ctypes.string_at(0)
