"""Spec files as people write them: the one-line reason for JSON and YAML a reader refuses."""

from __future__ import annotations

from hypermax.cli import main

GOOD_JSON = (
    '{"hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},\n'
    ' "function": {"type": "executable", "command": ["true"]},\n'
    ' "search": {"iterations": 2}'
)


def validate(tmp_path, monkeypatch, capsys, name: str, text: str) -> tuple[int, list[str]]:
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    code = main(["validate", name])
    return code, capsys.readouterr().err.strip().splitlines()


def test_a_yaml_file_of_two_documents_says_so(tmp_path, monkeypatch, capsys):
    text = "search:\n  iterations: 2\n---\nfunction: {type: executable, command: [true]}\n"
    code, err = validate(tmp_path, monkeypatch, capsys, "two.yaml", text)
    assert (code, err) == (
        2,
        [
            "two.yaml: line 3: invalid YAML: expected a single document in the stream, "
            "but found another document"
        ],
    )
