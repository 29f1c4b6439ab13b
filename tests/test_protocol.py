"""The one atomic writer: the trial's result file and hypermax's derived views both use it."""

from __future__ import annotations

import pytest

from hypermax.execution.protocol import write_atomic


@pytest.mark.parametrize("durable", [True, False])
def test_write_atomic_replaces_the_file_and_leaves_no_temporary_behind(tmp_path, durable):
    path = tmp_path / "best.json"
    path.write_text("old")
    write_atomic(path, '{"loss": 0.5}\n', durable=durable)
    assert path.read_text() == '{"loss": 0.5}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["best.json"]


def test_a_failed_write_keeps_the_old_file_whole(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("trial,loss\n1,0.5\n")
    with pytest.raises(TypeError):
        write_atomic(path, b"trial,loss\n")  # bytes: not written
    assert path.read_text() == "trial,loss\n1,0.5\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_write_atomic_takes_a_path_as_text(tmp_path):
    write_atomic(str(tmp_path / "result.json"), "0.25", durable=False)
    assert (tmp_path / "result.json").read_text() == "0.25"
