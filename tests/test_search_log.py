"""``logs/hypermax.log`` of a results folder named by a relative path (``results/s``, as a
spec's ``results.directory`` usually is)."""

from __future__ import annotations

import logging
from pathlib import Path

from hypermax.search_log import log_to_file


def test_a_warning_goes_to_the_log_of_a_folder_named_by_a_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "s").mkdir(parents=True)
    with log_to_file(Path("results/s/logs/hypermax.log")):
        logging.getLogger("hypermax").warning("a warning of the search")
    text = (tmp_path / "results" / "s" / "logs" / "hypermax.log").read_text()
    assert text.endswith(" WARNING a warning of the search\n")
