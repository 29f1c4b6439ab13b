"""Misbehaving ``python_function`` trials."""

from __future__ import annotations

import os
from typing import Any


def raise_error(params: dict[str, Any]) -> float:
    raise ValueError(f"bad params {params}")


def return_nan(params: dict[str, Any]) -> float:
    return float("nan")


def return_infinity(params: dict[str, Any]) -> dict[str, Any]:
    return {"loss": float("inf")}


def return_text(params: dict[str, Any]) -> str:
    return "not a loss"


def loss_is_text(params: dict[str, Any]) -> dict[str, Any]:
    return {"loss": "low"}


def exit_without_result(params: dict[str, Any]) -> float:
    os._exit(0)


def crash(params: dict[str, Any]) -> float:
    import ctypes

    return float(len(ctypes.string_at(0)))


def sleep_forever(params: dict[str, Any]) -> float:
    import pathlib
    import time

    up = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up")
    up.with_name("up.tmp").write_text(str(os.getpid()))
    up.with_name("up.tmp").rename(up)  # whole, never seen empty
    while True:
        time.sleep(60)


def wait_for_go(params: dict[str, Any]) -> float:
    """Returns 0.5 once the file named by env ``GO_FILE`` exists."""
    import time

    while not os.path.exists(os.environ["GO_FILE"]):
        time.sleep(0.01)
    return 0.5


def fine(params: dict[str, Any]) -> dict[str, Any]:
    return {"loss": 0.5}


def dispatch(params: dict[str, Any]) -> Any:
    """Runs the function named by ``params["kind"]``: one search can try every misbehaviour."""
    return globals()[params["kind"]](params)


def report_three(params: dict[str, Any], reporter: Any) -> dict[str, Any]:
    """Reports steps 1 to 3, then returns its last loss."""
    for step in (1, 2, 3):
        reporter(step, loss=1.0 / step)
    return {"loss": 1.0 / 3}


#: names the fake program :func:`run_program` runs
PROGRAM_ENV = "HYPERMAX_TEST_PROGRAM"


def run_program(params: dict[str, Any]) -> Any:
    """Runs the fake program named by ``HYPERMAX_TEST_PROGRAM`` inside this trial, as its main
    script; its result is what an executable's would be: its last stdout line that is one."""
    import pathlib
    import runpy
    import sys

    from hypermax.execution.protocol import parse_result_line

    program = pathlib.Path(__file__).parent / f"{os.environ[PROGRAM_ENV]}.py"
    stdout = sys.stdout
    sys.stdout = tee = _Tee(stdout)
    try:
        runpy.run_path(str(program), run_name="__main__")
    finally:
        sys.stdout = stdout
    results = (parse_result_line(line) for line in reversed(tee.text.splitlines()))
    return next((result for result in results if result is not None), None)


class _Tee:
    """Writes through to ``stream`` and keeps what was written."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return int(self.stream.write(text))

    def flush(self) -> None:
        self.stream.flush()


def lock_own_folder(params: dict[str, Any]) -> float:
    """Makes its folder unreadable (a cleanup gone wrong), then never ends."""
    import time

    os.chmod(os.environ["HYPERMAX_TRIAL_DIR"], 0)
    while True:
        time.sleep(1)
