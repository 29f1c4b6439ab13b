"""Makes a shared memory segment (``multiprocessing.shared_memory``) and maps the segment of
another program named by ``OTHER_SEGMENT`` (a file in /dev/shm), writes the name of its own in
its ``up`` file, then sleeps until killed."""

import mmap
import os
import pathlib
import time
from multiprocessing import shared_memory

segment = shared_memory.SharedMemory(create=True, size=1 << 20)
segment.buf[:5] = b"hello"
with open(os.path.join("/dev/shm", os.environ["OTHER_SEGMENT"]), "r+b") as other:
    other_view = mmap.mmap(other.fileno(), 0)
up = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up")
partial = up.with_name("up.tmp")
partial.write_text(segment.name.lstrip("/"))
os.replace(partial, up)  # a reader never sees the file empty
while True:
    time.sleep(60)
