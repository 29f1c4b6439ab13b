"""The real ``hypermax`` command with its dashboard, in a tmux terminal: watch it, quit it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import journal_records

TMUX = shutil.which("tmux")
pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.timeout(60),
]

OBJECTIVE = """
import time


def train(params):
    time.sleep(0.2)  # slow enough to watch
    return (params["x"] - 1.0) ** 2 + 0.1 * params["y"]
"""


class TmuxTerminal:
    """One tmux server of our own (its own socket) running one command in a 160x50 window."""

    def __init__(self, folder: Path) -> None:
        self.socket = f"hypermax-test-{uuid.uuid4().hex[:12]}"
        self.exit_file = folder / "exit-code"

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )

    def start(self, command: str, cwd: Path, hold: bool = False) -> None:
        """Run ``command`` in ``cwd``; with ``hold``, the pane stays open once it ended, so that
        what it left on the terminal can be read."""
        shell = f"cd {shlex.quote(str(cwd))} && {command}; echo $? > {self.exit_file}"
        if hold:
            shell += "; exec cat"
        proc = self.tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "50", shell)
        assert proc.returncode == 0, proc.stderr

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "main").stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "main", *keys)

    def wait_for(self, seen: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        """Poll the screen until ``seen(screen)`` (bounded); return that screen."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if seen(text):
                return text
            if self.exit_file.exists():
                break
            time.sleep(0.1)
        raise AssertionError(f"never saw {what}; last screen:\n{text}")

    def exit_code(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exit_file.exists() and self.exit_file.read_text().strip():
                return int(self.exit_file.read_text())
            time.sleep(0.1)
        raise AssertionError(f"hypermax did not exit; last screen:\n{self.screen()}")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[TmuxTerminal]:
    term = TmuxTerminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def hypermax_command() -> str:
    script = Path(sys.executable).with_name("hypermax")
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m hypermax"


def write_search(folder: Path, iterations: int) -> Path:
    (folder / "sleepy.py").write_text(OBJECTIVE)
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": -3, "max": 3}, "y": {"enum": [0, 1, 2]}},
        },
        "function": {"type": "python_function", "module": "sleepy", "name": "train", "parallel": 2},
        "search": {"name": "watched", "iterations": iterations, "seed": 3},  # the default: tpe
        "results": {"directory": str(folder / "results")},
    }
    path = folder / "search.json"
    path.write_text(json.dumps(spec))
    return path


def done_count(screen: str, total: int) -> int:
    match = re.search(rf"(\d+)/{total} done", screen)
    return int(match.group(1)) if match else -1


def assert_journal_complete(folder: Path) -> tuple[dict[int, str], list[int]]:
    records = journal_records(folder)
    started = [r["id"] for r in records if r["event"] == "trial_started"]
    finished = {r["id"]: r["state"] for r in records if r["event"] == "trial_finished"}
    assert started, "no trial started"
    assert set(started) <= set(finished), "a started trial has no trial_finished record"
    return finished, started


def test_quit_with_confirmation_kills_running_trials_and_exits_130(tmp_path, terminal):
    spec = write_search(tmp_path, iterations=40)
    terminal.start(f"{hypermax_command()} {spec}", tmp_path)
    screen = terminal.wait_for(lambda s: done_count(s, 40) >= 4, "4 trials done")
    assert "watched" in screen and re.search(r" tpe +parallel 2\b", screen)
    assert re.search(r"running \(\d\)", screen)
    assert "best " in screen and "q quit" in screen
    terminal.keys("q")
    terminal.wait_for(lambda s: "Quit the search now?" in s, "the quit question")
    terminal.keys("y")
    assert terminal.exit_code() == 130
    finished, started = assert_journal_complete(tmp_path / "results" / "watched")
    assert sum(1 for state in finished.values() if state == "ok") >= 4
    assert len(started) < 40  # it stopped early


def test_a_finished_search_waits_for_q_and_exits_0(tmp_path, terminal):
    spec = write_search(tmp_path, iterations=6)
    terminal.start(f"{hypermax_command()} {spec}", tmp_path)
    screen = terminal.wait_for(lambda s: "search ended" in s, "the end of the search")
    assert "press q to leave" in screen
    assert "6/6 done" in screen
    terminal.keys("q")
    assert terminal.exit_code() == 0
    finished, started = assert_journal_complete(tmp_path / "results" / "watched")
    assert len(started) == 6 and set(finished.values()) == {"ok"}


def test_ctrl_c_interrupts_without_asking_and_exits_130(tmp_path, terminal):
    spec = write_search(tmp_path, iterations=40)
    terminal.start(f"{hypermax_command()} {spec}", tmp_path)
    terminal.wait_for(lambda s: done_count(s, 40) >= 2, "2 trials done")
    terminal.keys("C-c")
    assert terminal.exit_code() == 130
    _finished, started = assert_journal_complete(tmp_path / "results" / "watched")
    assert len(started) < 40


def test_leaving_after_the_window_grew_leaves_no_row_of_the_dashboard(tmp_path, terminal):
    """tmux, leaving an alternate screen that grew while it was shown, put rows of its last frame
    above the shell's lines (as many as the window grew by): the screen is emptied first."""
    spec = write_search(tmp_path, iterations=2)
    terminal.start(f"{hypermax_command()} {spec}", tmp_path, hold=True)
    terminal.wait_for(lambda s: "search ended" in s, "the end of the search")
    terminal.tmux("resize-window", "-t", "main", "-x", "200", "-y", "60")
    terminal.wait_for(
        lambda s: any(len(line) == 200 for line in s.splitlines()), "the dashboard redrawn wider"
    )
    terminal.keys("q")
    assert terminal.exit_code() == 0
    screen = terminal.wait_for(lambda s: "search ended" in s, "the summary lines")
    assert screen.lstrip().startswith("hypermax: search ended"), screen
    assert not any(glyph in screen for glyph in "│┌└"), screen


FAILING = """
import time


def train(params):
    time.sleep(0.05)
    if params["x"] < 0:
        raise ValueError("x below 0")
    return params["x"]
"""


def test_the_summary_left_once_the_dashboard_closed_says_how_many_trials_failed(tmp_path, terminal):
    """The lines left in the terminal said ``8 trials done`` of a search whose trials had
    mostly failed, which only the dashboard, gone by then, had shown."""
    spec = write_search(tmp_path, iterations=8)
    (tmp_path / "sleepy.py").write_text(FAILING)
    terminal.start(f"{hypermax_command()} {spec}", tmp_path, hold=True)
    terminal.wait_for(lambda s: "search ended" in s, "the end of the search")
    terminal.keys("q")
    assert terminal.exit_code() == 0
    finished, _started = assert_journal_complete(tmp_path / "results" / "watched")
    failed = sum(1 for state in finished.values() if state == "failed")
    assert failed, "the seed draws no x below 0"
    said = terminal.wait_for(lambda s: "trials done" in s, "the summary lines")
    assert f"8 trials done ({failed} failed)" in said, said


def test_e_and_p_are_answered_at_once_while_the_objective_s_module_is_imported(tmp_path, terminal):
    """The search carries out e and p at its next turn, which a preloaded objective's import
    holds until it ends: the keys showed nothing meanwhile. The dashboard answers at once."""
    started, release = tmp_path / "started", tmp_path / "release"
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {
            "type": "python_function",
            "src": str(Path(__file__).parent / "fake_trials" / "slow_import.py"),
            "name": "f",
        },
        "search": {"name": "slow", "iterations": 2, "method": "random"},
        "results": {"directory": str(tmp_path / "results")},
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(spec))
    env = f"SLOW_IMPORT_STARTED={shlex.quote(str(started))} "
    env += f"SLOW_IMPORT_RELEASE={shlex.quote(str(release))} "
    terminal.start(f"{env}{hypermax_command()} {path}", tmp_path)
    try:
        terminal.wait_for(lambda s: started.exists() and "q quit" in s, "the import under way")
        terminal.keys("e")
        terminal.wait_for(lambda s: "export asked" in s, "the answer to e", timeout=5)
        terminal.keys("p")
        terminal.wait_for(lambda s: "pause asked" in s, "the answer to p", timeout=5)
        assert not release.exists()  # the import was under way all along
        terminal.keys("p")
    finally:
        release.write_text("")
    terminal.wait_for(lambda s: "search ended" in s, "the end of the search")
    terminal.keys("q")
    assert terminal.exit_code() == 0
