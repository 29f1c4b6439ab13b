"""A key of the spec's ``search`` section given to ``optimize`` as a keyword of its own
(``early_stopping=``, ``timeout=``) is a TypeError that says where it goes: ``search=``."""

from __future__ import annotations

import pytest

import hypermax


def train(x, reporter=None):
    return x


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("early_stopping", {"policy": "asha", "max_steps": 9}), ("timeout", 60)],
)
def test_a_search_key_as_a_keyword_names_search(tmp_path, monkeypatch, keyword, value):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(train, space={"x": "0.0:1.0"}, iterations=2, **{keyword: value})
    text = str(raised.value)
    assert f"optimize() got an unexpected keyword argument {keyword!r}" in text
    assert f'search={{"{keyword}": ...}}' in text, text
    assert not (tmp_path / "results").exists()  # refused before anything runs


def test_another_unknown_keyword_is_python_s_own_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=r"^optimize\(\) got an unexpected keyword argument 'lr'$"):
        hypermax.optimize(train, space={"x": "0.0:1.0"}, iterations=2, lr=0.1)
