"""What each trial's start reuses from the ones before it stays true to the trial."""

from __future__ import annotations

import os

from hypermax.execution import spawn
from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits


def test_each_trial_gets_the_environment_as_it_is_when_it_starts(monkeypatch):
    monkeypatch.delenv("HYPERMAX_TEST_LATE", raising=False)
    assert "HYPERMAX_TEST_LATE" not in spawn.current_environ()
    monkeypatch.setenv("HYPERMAX_TEST_LATE", "1")
    assert spawn.current_environ()["HYPERMAX_TEST_LATE"] == "1"
    monkeypatch.setenv("HYPERMAX_TEST_LATE", "2")
    assert spawn.current_environ()["HYPERMAX_TEST_LATE"] == "2"
    monkeypatch.delenv("HYPERMAX_TEST_LATE")
    env = spawn.current_environ()
    assert env == dict(os.environ)
    env["HYPERMAX_TEST_LATE"] = "mine"  # a copy: neither the environment nor the next copy
    assert "HYPERMAX_TEST_LATE" not in os.environ
    assert "HYPERMAX_TEST_LATE" not in spawn.current_environ()


def test_trial_folders_resolve_as_path_resolve_does(tmp_path):
    host = TrialHost(Limits())
    real = tmp_path / "real"
    (real / "trials").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (real / "trials" / "2").symlink_to(elsewhere)  # a trial folder that is a symlink itself
    for trial in ("1", "2", "1"):
        path = tmp_path / "link" / "trials" / trial
        assert host.resolve_trial_dir(path) == path.resolve()
    assert host.resolve(tmp_path / "link") == real
