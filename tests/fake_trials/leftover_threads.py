"""Trial functions that return while threads they started still run."""

import threading
from concurrent.futures import ThreadPoolExecutor

NEVER = threading.Event()  # nothing sets it


def stuck_thread(params):
    """Leaves a thread (not a daemon) that never ends: an interpreter waits for it for ever."""
    threading.Thread(target=NEVER.wait, name="stuck").start()
    return params["x"]


def open_pool(params):
    """Leaves a thread pool open: its idle workers end as the interpreter exits."""
    pool = ThreadPoolExecutor(2)
    return pool.submit(lambda: params["x"]).result()
