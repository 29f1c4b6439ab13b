"""What a failed trial's reason says of a result that holds nothing: an empty result file, a
result without a single value."""

from __future__ import annotations

import pytest

from hypermax.execution.outcome import read_result
from hypermax.loss import LossError, compute_loss


@pytest.mark.parametrize("text", ["", "\n", "  \r\n"])
def test_an_empty_result_file_says_it_is_empty(tmp_path, text):
    result_file = tmp_path / "result.json"
    result_file.write_text(text)
    assert read_result(result_file, {"loss": 0.5}, "executable") == (
        None,
        "the result file is empty",
    )


@pytest.mark.parametrize("result", [{}, {"status": "ok"}])
def test_a_result_without_values_says_so_without_a_hint_to_pick_one(result):
    with pytest.raises(LossError) as caught:
        compute_loss(result, [], 1.0)
    assert str(caught.value) == 'the result has no "loss": it returned no values'
