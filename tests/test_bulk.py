"""Bulk work over a search's history runs with the cyclic garbage collector paused."""

from __future__ import annotations

import gc
import threading

from hypermax import journal_records, journal_replay
from hypermax.bulk import bulk, collector_paused


def test_the_collector_is_paused_inside_and_left_as_it_was_found():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()


def test_a_bulk_function_runs_paused_and_keeps_its_name_and_result():
    @bulk
    def fold(values: list[int]) -> tuple[bool, int]:
        """Sums."""
        return gc.isenabled(), sum(values)

    assert fold([1, 2, 3]) == (False, 6)
    assert fold.__name__ == "fold" and fold.__doc__ == "Sums."
    assert gc.isenabled()


def test_reading_and_replaying_a_journal_are_bulk_work(tmp_path, monkeypatch):
    seen: list[bool] = []
    real_loads = journal_records.json.loads

    def loads(text: str | bytes) -> object:
        seen.append(gc.isenabled())
        return real_loads(text)

    path = tmp_path / "trials.jsonl"
    path.write_text('{"event": "header", "format": 1}\n')
    monkeypatch.setattr(journal_records.json, "loads", loads)
    state = journal_replay.replay(journal_records.read_records(path), path)
    assert seen == [False] and state.header == {"event": "header", "format": 1}


def test_the_collector_stays_paused_until_the_last_thread_inside_leaves():
    """Two threads pause it and the first one leaves: the other is still inside, so the
    collector stays paused; it runs again once that one leaves too."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second() -> None:
        first_in.wait()
        with collector_paused():
            second_in.set()
            first_out.wait()
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [False]
    assert gc.isenabled()
