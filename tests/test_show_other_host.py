"""``show`` and ``export`` of a results folder whose search runs on another host (a shared
file system): the journal's last line, not whole yet, is the record being written there."""

from __future__ import annotations

import json

from conftest import run_cli_here


def test_the_line_a_search_of_another_host_writes_is_no_torn_line(tmp_path, recwarn):
    """show said the search ran (its trial "running") and, of the same journal, that a crash
    had torn its last line."""
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {}},
    ]
    text = "".join(json.dumps(r) + "\n" for r in lines) + '{"event": "trial_finished", "id": 1'
    (folder / "trials.jsonl").write_text(text)
    (folder / ".lock").write_text(json.dumps({"pid": 4242, "host": "node-17.cluster"}))
    shown = run_cli_here("show", str(folder), cwd=tmp_path)
    assert shown.returncode == 0 and "(1 running)" in shown.stdout
    assert run_cli_here("export", str(folder), cwd=tmp_path).returncode == 0
    assert not [w for w in recwarn if "torn last line" in str(w.message)]


def test_plot_of_a_search_of_another_host_takes_its_last_line_for_the_record_being_written(
    tmp_path, recwarn
):
    """plot warned that a crash had torn the journal's last line: the one the search of
    another host was writing."""
    from hypermax.plots.data import load_plot_data

    folder = tmp_path / "r"
    folder.mkdir()
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {}},
        {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.5},
    ]
    text = "".join(json.dumps(r) + "\n" for r in lines) + '{"event": "trial_started", "id": 2'
    (folder / "trials.jsonl").write_text(text)
    (folder / ".lock").write_text(json.dumps({"pid": 4242, "host": "node-17.cluster"}))
    assert [t.id for t in load_plot_data(folder).trials] == [1]
    assert not [w for w in recwarn if "torn last line" in str(w.message)]
