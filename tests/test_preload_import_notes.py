"""A preloaded objective whose import takes long is told, since no trial starts meanwhile: the
console said nothing for as long as the import took (up to its limit, 300 s)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from conftest import fake_function_spec
from fake_trials.helpers import wait_until

from hypermax.cli import main
from hypermax.execution import preload

IMPORTING = "hypermax: preload: importing the objective's module ("


class _Watched(io.StringIO):
    """The console's stream: ``said`` is set once a line starting with ``start`` was written."""

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start
        self.said = threading.Event()

    def write(self, text: str) -> int:
        if text.startswith(self.start):
            self.said.set()
        return super().write(text)


def _run_released_once_told(spec: Path, told: threading.Event, started: Path, release: Path) -> int:
    """Run the search of ``spec`` (``--no-ui``), its objective's import held until ``release``
    is written: once ``told`` is set and the import began (``started``). Its exit code."""

    def release_once_told() -> None:  # the import goes on until the note was written
        if told.wait(60):
            wait_until(started.exists, 30, "the import to begin")
        release.write_text("")

    releaser = threading.Thread(target=release_once_told)
    releaser.start()
    try:
        return main(["run", str(spec), "--no-ui"])
    finally:
        release.write_text("")
        releaser.join()


def test_an_import_that_takes_long_is_told_and_then_how_long_it_took(tmp_path, monkeypatch):
    monkeypatch.setattr(preload, "IMPORT_NOTE_SECONDS", 0.0)  # told at its first look
    started, release = tmp_path / "started", tmp_path / "release"
    monkeypatch.setenv("SLOW_IMPORT_STARTED", str(started))
    monkeypatch.setenv("SLOW_IMPORT_RELEASE", str(release))
    spec = fake_function_spec(
        tmp_path, "slow_import.py", "f", {"name": "s", "iterations": 2, "method": "random"}
    )
    console = _Watched(IMPORTING)
    monkeypatch.setattr("sys.stdout", console)

    code = _run_released_once_told(spec, console.said, started, release)
    lines = console.getvalue().splitlines()
    told = [line for line in lines if line.startswith("hypermax: preload:")]
    assert code == 0, lines
    assert told[0].startswith(IMPORTING)
    assert told[0].endswith(" s so far, at most 300 s); trials start once it is loaded")
    assert told[1].startswith("hypermax: preload: the objective's module loaded in ")
    assert len(told) == 2
    # before the first trial's line
    assert lines.index(told[1]) < next(i for i, line in enumerate(lines) if "trial 1" in line)


def test_an_import_that_takes_little_time_is_not_told(tmp_path, monkeypatch, capsys):
    (tmp_path / "release").write_text("")
    monkeypatch.setenv("SLOW_IMPORT_STARTED", str(tmp_path / "started"))
    monkeypatch.setenv("SLOW_IMPORT_RELEASE", str(tmp_path / "release"))
    monkeypatch.setattr(preload, "IMPORT_NOTE_SECONDS", 3600.0)
    spec = fake_function_spec(
        tmp_path, "slow_import.py", "f", {"name": "s", "iterations": 1, "method": "random"}
    )
    assert main(["run", str(spec), "--no-ui"]) == 0
    assert "preload:" not in capsys.readouterr().out


def test_the_loaded_line_is_news_and_the_importing_one_is_not(tmp_path, monkeypatch):
    """The dashboard's status line showed "module loaded" for the whole run: it is news, which
    the status shows for a while; "importing" stays until the module is loaded."""
    from hypermax import events as ev
    from hypermax.ui.console import ConsoleReporter

    monkeypatch.setattr(preload, "IMPORT_NOTE_SECONDS", 0.0)
    started, release = tmp_path / "started", tmp_path / "release"
    monkeypatch.setenv("SLOW_IMPORT_STARTED", str(started))
    monkeypatch.setenv("SLOW_IMPORT_RELEASE", str(release))
    spec = fake_function_spec(
        tmp_path, "slow_import.py", "f", {"name": "s", "iterations": 1, "method": "random"}
    )
    messages: list[ev.Message] = []
    told = threading.Event()
    handle = ConsoleReporter.handle

    def heard(reporter: ConsoleReporter, event: ev.Event) -> None:  # what the console is told
        if isinstance(event, ev.Message):
            messages.append(event)
            told.set()
        handle(reporter, event)

    monkeypatch.setattr(ConsoleReporter, "handle", heard)

    code = _run_released_once_told(spec, told, started, release)
    assert code == 0
    said = [(m.text.split(" (")[0], m.news) for m in messages if m.text.startswith("preload:")]
    assert said == [
        ("preload: importing the objective's module", False),
        (said[1][0], True),
    ]
    assert said[1][0].startswith("preload: the objective's module loaded in ")
