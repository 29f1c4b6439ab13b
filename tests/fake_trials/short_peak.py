"""Holds 150 MiB for a moment, prints its loss and ends: a trial likely over before the
watchdog's first look, above the memory it carried from hypermax, whose peak its reaping tells."""

block = b"x" * (150 * 1024 * 1024)  # written, so resident
print(len(block) / 2**30)
