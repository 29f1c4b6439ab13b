"""Spec files as people write them: the one-line reason for JSON and YAML a reader refuses, and
a spec given as ``-``."""

from __future__ import annotations

import os

import pytest
from conftest import run_cli

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


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "search:\n  iterations: 2\n---\nfunction: {type: executable, command: [true]}\n",
            "line 3: invalid YAML: expected a single document in the stream, "
            "but found another document",
        ),
        (
            "search:\n\titerations: 2\n",
            "line 2: invalid YAML: found character '\\t' that cannot start any token "
            "(write spaces, not tabs, to indent and separate YAML)",
        ),
        (
            "hyperparameters: {type: object, properties: {c: {constant: !!binary aGk=}}}\n",
            "line 1: YAML tag !!binary is not allowed",
        ),
        (
            "hyperparameters:\n  type: object\n  properties:\n    c: {constant: !!set {a, b}}\n",
            "line 4: YAML tag !!set is not allowed",
        ),
    ],
    ids=["two-documents", "tab-indent", "bytes", "set"],
)
def test_yaml_mistakes_say_what_to_change(tmp_path, monkeypatch, capsys, text, error):
    code, err = validate(tmp_path, monkeypatch, capsys, "bad.yaml", text)
    assert (code, err) == (2, [f"bad.yaml: {error}"])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            GOOD_JSON + ",\n}\n",
            "line 3: invalid JSON: a trailing comma before } is not allowed",
        ),
        (
            GOOD_JSON.replace('"search"', '"search": {}, "x": [1, 2,]') + "}",
            "line 3: invalid JSON: a trailing comma before ] is not allowed",
        ),
        (
            GOOD_JSON + ",\n // two trials\n}\n",
            "line 4: invalid JSON: comments are not allowed (write the spec in YAML to keep them)",
        ),
        (
            GOOD_JSON.replace(",\n", ", /* an enum */\n", 1) + "}",
            "line 1: invalid JSON: comments are not allowed (write the spec in YAML to keep them)",
        ),
        (
            "hyperparameters: {type: object, properties: {x: {enum: [1, 2]}}}\n",
            "line 1: invalid JSON: Expecting value (the file is YAML: name it bad.yaml)",
        ),
    ],
    ids=[
        "trailing-comma-object",
        "trailing-comma-list",
        "line-comment",
        "block-comment",
        "yaml-in-a-json-file",
    ],
)
def test_json_comments_and_trailing_commas_are_named(tmp_path, monkeypatch, capsys, text, error):
    code, err = validate(tmp_path, monkeypatch, capsys, "bad.json", text)
    assert (code, err) == (2, [f"bad.json: {error}"])


def test_a_spec_on_stdin_is_refused_with_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "-"])
    err = capsys.readouterr().err.strip().splitlines()
    assert (code, err) == (
        2,
        [
            "-: a spec cannot be read from stdin: save it to a file "
            "(its relative paths are relative to that file's folder)"
        ],
    )


@pytest.mark.parametrize(
    ("enum", "error"),
    [
        (
            "[yes, no, off]",
            "hyperparameters.properties.opt.enum: must not repeat a value: false is repeated "
            "(YAML reads yes, no, on and off as true and false: quote them to keep the words)",
        ),
        (
            "[relu, 2, relu]",
            'hyperparameters.properties.opt.enum: must not repeat a value: "relu" is repeated',
        ),
    ],
    ids=["yaml-booleans", "word"],
)
def test_a_repeated_enum_value_is_named(tmp_path, monkeypatch, capsys, enum, error):
    text = (
        f"hyperparameters: {{type: object, properties: {{opt: {{enum: {enum}}}}}}}\n"
        'function: {type: executable, command: ["true"]}\n'
    )
    code, err = validate(tmp_path, monkeypatch, capsys, "bools.yaml", text)
    assert (code, err) == (2, [f"bools.yaml: {error}"])


def test_a_named_pipe_or_a_device_given_as_the_spec_is_refused_without_waiting(tmp_path):
    """A named pipe would wait for a writer, and ``/dev/zero`` would fill the memory."""
    os.mkfifo(tmp_path / "pipe.json")
    for given, kind in (("pipe.json", "a named pipe"), ("/dev/null", "a device")):
        done = run_cli("validate", given, cwd=tmp_path, timeout=30)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == f"{given}: is {kind}, not a file: save the spec to a file\n"


def test_a_spec_or_a_file_its_ref_names_too_large_to_be_one_is_refused(
    tmp_path, monkeypatch, capsys
):
    with open(tmp_path / "data.json", "wb") as data:
        data.truncate(64 * 2**20 + 1)  # a data file named by mistake
    text = GOOD_JSON.replace('{"enum": [1, 2]}', '{"$ref": "data.json#/x"}') + "}"
    code, err = validate(tmp_path, monkeypatch, capsys, "big.json", text)
    assert (code, err) == (
        2,
        [
            'big.json: hyperparameters.properties.x: $ref "data.json#/x": is larger than 64 MiB: '
            "too large for a spec"
        ],
    )
    code = main(["validate", "data.json"])
    assert (code, capsys.readouterr().err) == (
        2,
        "data.json: is larger than 64 MiB: too large for a spec\n",
    )


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("1" + "0" * 310, "a number of 311 digits is larger than the largest number"),
        ("1" + "0" * 5000, "a number of 5001 digits is larger than the largest number"),
        ("-1e400", "-1e400 is beyond the largest number"),
    ],
    ids=["311-digits", "5001-digits", "exponent"],
)
@pytest.mark.parametrize("name", ["big.json", "big.yaml"])
def test_a_number_too_large_for_any_number_is_one_line(
    tmp_path, monkeypatch, capsys, name, number, problem
):
    """Past 1.8e308 the checks could not compare a whole number (an unexpected OverflowError);
    past 4300 digits Python's int refused to read it (an unexpected ValueError); 1e400 was
    Infinity, which JSON has no word for, taken without a word where no check looks for it."""
    text = GOOD_JSON.replace('"search": {', f'"search": {{"loss_threshold": {number}, ') + "}"
    code, err = validate(tmp_path, monkeypatch, capsys, name, text)
    assert (code, err) == (2, [f"{name}: line 3: {problem} (about 1.8e308)"])


def test_a_newline_in_the_spec_s_file_name_stays_on_its_line(tmp_path, monkeypatch, capsys):
    code, err = validate(tmp_path, monkeypatch, capsys, "my\nspec.json", '{"a": 1}')
    assert code == 2 and err[0] == 'my\\nspec.json: unknown key "a"', err


def test_a_merge_key_of_several_mappings_takes_each_key_from_the_first_that_has_it(tmp_path):
    """As the YAML merge type says (and PyYAML before 6.0.4 did): a key written in the mapping
    wins, then the mapping earlier in the ``<<`` list, whatever the length of the key."""
    from hypermax.specfile.reader import parse_document

    (tmp_path / "search.yaml").write_text(
        "x-base: &base {type: number, min: 0, max: 10, q: 1}\n"
        "x-rate: &rate {type: number, min: 1.0e-4, max: 1, q: 2, scaling: logarithmic}\n"
        "both: {<<: [*base, *rate]}\n"
        "own: {<<: [*base, *rate], max: 5, q: 3}\n"
        "nested: {<<: [{<<: *rate, max: 0.5}, *base]}\n"
    )
    doc = parse_document(tmp_path / "search.yaml")
    assert doc["both"] == {"type": "number", "min": 0, "max": 10, "q": 1, "scaling": "logarithmic"}
    assert doc["own"] == {"type": "number", "min": 0, "max": 5, "q": 3, "scaling": "logarithmic"}
    assert doc["nested"] == {
        "type": "number",
        "min": 1.0e-4,
        "max": 0.5,
        "q": 2,
        "scaling": "logarithmic",
    }


def test_yaml_nan_and_infinity_outside_the_space_are_named(tmp_path, monkeypatch, capsys):
    """They made every loss NaN (a metric's bound), or ran (a kill loss, a timeout) and froze
    the spec into the results folder as a search.json that is no JSON (``NaN``)."""
    text = (
        "x-spare: .nan\n"
        "hyperparameters: {type: object, properties: {x: {type: number, min: 0, max: 1}}}\n"
        'function: {type: executable, command: ["true"], auto_kill_loss: .nan}\n'
        "metrics: {loss: {min: 0, max: 1, weight: .inf}}\n"
        "search: {iterations: 2, timeout: .inf, points: [{x: -.inf}]}\n"
        "hypermax_results: {score: .NaN}\n"
    )
    code, err = validate(tmp_path, monkeypatch, capsys, "search.yaml", text)
    problem = "must be a finite number (JSON holds no NaN or infinity), got"
    assert (code, err) == (
        2,
        [
            f"search.yaml: function.auto_kill_loss: {problem} NaN",
            f"search.yaml: hypermax_results.score: {problem} NaN",
            f"search.yaml: metrics.loss.weight: {problem} Infinity",
            f"search.yaml: search.points.0.x: {problem} -Infinity",
            f"search.yaml: search.timeout: {problem} Infinity",
            f"search.yaml: x-spare: {problem} NaN",
        ],
    )


def test_an_infinite_rounding_is_named_before_the_search_starts(tmp_path):
    """It passed as "greater than 0" and the first ask ended the search with an unexpected
    error (cannot convert float NaN to integer)."""
    (tmp_path / "search.yaml").write_text(
        "hyperparameters: {type: object, properties: {x: {type: number, min: 0, max: 1,"
        " rounding: .inf}}}\n"
        'function: {type: executable, command: ["true"]}\n'
        "search: {iterations: 1}\n"
    )
    for command in ("validate", "run"):
        proc = run_cli(command, str(tmp_path / "search.yaml"), cwd=tmp_path)
        assert (proc.returncode, proc.stderr.splitlines()) == (
            2,
            [
                "search.yaml: hyperparameters.properties.x.rounding: must be a finite number,"
                " got Infinity"
            ],
        )


def test_a_rounding_too_small_for_the_grid_is_named_not_an_unexpected_error(tmp_path):
    """The grid's check counted the steps of a number the space's checks had refused."""
    (tmp_path / "search.json").write_text(
        '{"hyperparameters": {"type": "object", "properties": {"x": {"type": "number",'
        ' "min": 0, "max": 1, "rounding": 5e-324}}},\n'
        ' "function": {"type": "executable", "command": ["true"]},\n'
        ' "search": {"method": "grid"}}'
    )
    proc = run_cli("validate", str(tmp_path / "search.json"), cwd=tmp_path)
    assert (proc.returncode, proc.stderr.splitlines()) == (
        2,
        [
            "search.json: hyperparameters.properties.x.rounding: is too small: 1 / rounding is"
            " more than a float holds"
        ],
    )


def test_json_indented_with_tabs_in_a_yaml_file_is_read_as_the_json_it_is(
    tmp_path, monkeypatch, capsys
):
    """JSON is YAML 1.2, which PyYAML (YAML 1.1) refuses where a tab indents it, as the
    original Hypermax's own tutorial spec is."""
    text = GOOD_JSON.replace('\n "', '\n\t"') + "}"
    code, err = validate(tmp_path, monkeypatch, capsys, "search.yaml", text)
    assert (code, err) == (0, [])
    code, err = validate(tmp_path, monkeypatch, capsys, "bad.yaml", text.replace("2}", "2,}"))
    assert code == 2 and err == [
        "bad.yaml: line 2: invalid YAML: found character '\\t' that cannot start any token"
        " (write spaces, not tabs, to indent and separate YAML)"
    ]


def test_json_indented_with_tabs_in_a_yaml_file_says_what_it_cannot_hold(
    tmp_path, monkeypatch, capsys
):
    """Read as JSON, a number beyond the largest float or a key written twice was refused,
    and the file was then named by its tab, as YAML: as though the JSON were not JSON."""
    text = GOOD_JSON.replace('\n "', '\n\t"') + "}"
    huge = text.replace("[1, 2]", "[1, 1e400]")
    code, err = validate(tmp_path, monkeypatch, capsys, "huge.yaml", huge)
    assert (code, err) == (
        2,
        ["huge.yaml: line 1: 1e400 is beyond the largest number (about 1.8e308)"],
    )
    twice = text.replace(
        '"search": {"iterations": 2}', '"search": {"iterations": 2, "iterations": 3}'
    )
    code, err = validate(tmp_path, monkeypatch, capsys, "twice.yaml", twice)
    assert (code, err) == (2, ['twice.yaml: search: duplicate key "iterations"'])


def test_yaml_base_60_numbers_stay_the_text_they_are_written_as():
    """YAML 1.1 read ``16:9`` as 969 and ``12:30:00`` as 45000 (base 60): an enum of aspect
    ratios or a time of day became numbers nobody wrote. YAML 1.2 and JSON read text."""
    from hypermax.specfile.yaml_text import parse_yaml

    text = "ratio: [16:9, 4:3, -1:30.5]\nat: 12:30:00\nplain: [1_000, 0x10, 1.5e3, 7]\n"
    assert parse_yaml(text, "s.yaml") == {
        "ratio": ["16:9", "4:3", "-1:30.5"],
        "at": "12:30:00",
        "plain": [1000, 16, 1500.0, 7],
    }


def test_yaml_whole_numbers_with_a_leading_zero_are_the_decimal_numbers_they_look_like():
    """YAML 1.1 read ``010`` as octal 8 and ``08`` as the text "08": ``enum: [07, 08, 010]``
    was ``[7, "08", 8]``. YAML 1.2 reads decimal numbers, as they look."""
    from hypermax.specfile.yaml_text import parse_yaml

    text = "n: [07, 08, 010, -010, 00]\nkept: [0x10, 0b11, '010', 08abc]\n"
    assert parse_yaml(text, "s.yaml") == {"n": [7, 8, 10, -10, 0], "kept": [16, 3, "010", "08abc"]}
