"""Names in any script: a spec file, a search, a param or an objective named in Cyrillic or
with accents keeps its letters where hypermax makes a name of it (they all became "_", so two
such specs shared one results folder)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import (
    X_SPACE,
    finished_records,
    quadratic,
    run_cli,
    run_cli_here,
    run_hypermax_here,
)

from hypermax.api import _default_name
from hypermax.plots import _file_name


def _spec(folder: Path, file_name: str, high: float, **search: object) -> str:
    space = {"type": "object", "properties": {"x": {**X_SPACE["properties"]["x"], "max": high}}}
    doc = {
        "hyperparameters": space,
        "function": quadratic(),
        "search": {"iterations": 1, **search},
        "results": {"directory": str(folder / "results")},
    }
    (folder / file_name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return file_name


def test_two_specs_named_in_cyrillic_get_a_results_folder_each(tmp_path):
    for file_name, high in (("модель.json", 1.0), ("данные.json", 2.0)):  # same length
        done = run_cli_here("run", _spec(tmp_path, file_name, high), "--no-ui", cwd=tmp_path)
        assert done.returncode == 0, done.stderr  # before: the second found the first's folder
    for name in ("модель", "данные"):
        assert [r["state"] for r in finished_records(tmp_path / "results" / name).values()] == [
            "ok"
        ]


def test_a_search_name_with_accents_is_a_folder_name(tmp_path):
    done = run_cli_here("validate", _spec(tmp_path, "s.json", 1.0, name="réseau-ünï"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    refused = run_cli_here("validate", _spec(tmp_path, "t.json", 1.0, name="a b"), cwd=tmp_path)
    assert refused.returncode == 2 and 'got "a b"' in refused.stderr


def test_params_and_objectives_named_in_any_script_keep_their_names():
    assert _file_name("скорость") != _file_name("глубина")
    assert _file_name("скорость") == "скорость"

    def обучить(params: dict) -> float:
        return 0.0

    assert _default_name(обучить) == "обучить"


#: an environment whose locale encodes ASCII alone, as a minimal container's or cron's
ASCII_LOCALE = {"LC_ALL": "POSIX", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def test_a_search_under_an_ascii_locale_keeps_the_text_of_its_results(tmp_path):
    write = "import os; open(os.environ['HYPERMAX_RESULT_FILE'], 'wb').write("
    write += 'b\'{"pr\\xc3\\xa9cision": 0.5, "note": "caf\\xc3\\xa9"}\')'  # UTF-8
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": [sys.executable, "-c", write]},
        "metrics": {"précision": {"min": 0, "max": 1, "direction": "increase"}},
        "search": {"iterations": 1, "method": "random"},
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli("s.json", "--no-ui", cwd=tmp_path, env={**ASCII_LOCALE, "PYTHONIOENCODING": ""})
    assert done.returncode == 0, done.stderr  # before: UnicodeEncodeError writing results.csv
    best = json.loads((tmp_path / "results" / "s" / "best.json").read_text(encoding="utf-8"))
    assert best["metadata"] == {"note": "café"}  # not read as ASCII: "caf\ufffd\ufffd"
    csv = (tmp_path / "results" / "s" / "results.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[1].split(",")[:3] == ["1", "ok", "0.5"] and "précision" in csv


def test_params_beyond_ascii_reach_trials_under_an_ascii_locale_as_utf8(tmp_path):
    show = "import os, sys; out = sys.stdout.buffer; out.write(os.environb[b'HYPERMAX_PARAM_S'])"
    show += "; out.write(b' ' + os.fsencode(sys.argv[1]) + b' ' + os.environb[b'NOTE'] + b'\\n0.5')"
    (tmp_path / "model.py").write_text(
        "import os\ndef train(p):\n"
        "    return {'loss': 0.5, 'got': os.environb[b'HYPERMAX_PARAM_S'].decode('utf-8')}\n"
    )
    functions = {
        "exe": {"type": "executable", "command": [sys.executable, "-c", show, "{s}"]},
        "forked": {"type": "python_function", "src": "model.py", "name": "train"},
    }
    for name, function in functions.items():
        doc = {
            "hyperparameters": {"type": "object", "properties": {"s": {"enum": ["é"]}}},
            "function": {**function, "env": {"NOTE": "ñ"}},
            "search": {"iterations": 1, "method": "random", "name": name},
        }
        (tmp_path / "s.json").write_text(json.dumps(doc))
        env = {**ASCII_LOCALE, "PYTHONIOENCODING": ""}
        done = run_cli("s.json", "--no-ui", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr  # before: UnicodeEncodeError starting it
        assert [r["state"] for r in finished_records(tmp_path / "results" / name).values()] == [
            "ok"
        ]
    log = (tmp_path / "results" / "exe" / "logs" / "trial_1.log").read_text(encoding="utf-8")
    assert log.startswith("é é ñ\n0.5")
    best = json.loads((tmp_path / "results" / "forked" / "best.json").read_text(encoding="utf-8"))
    assert best["metadata"] == {"got": "é"}


def test_a_lone_surrogate_in_a_param_is_written_as_its_escape(tmp_path):
    doc = {
        "hyperparameters": {"type": "object", "properties": {"s": {"enum": ["a\ud800"]}}},
        "function": {"type": "executable", "command": ["printf", "%s\\n0.5\\n", "{s}"]},
        "search": {"iterations": 1, "method": "random"},
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))  # JSON's "a\ud800": legal, not UTF-8
    done = run_hypermax_here(tmp_path / "s.json")
    assert done.returncode == 0, done.stderr  # before: UnicodeEncodeError writing results.csv
    csv = (tmp_path / "results" / "s" / "results.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[1].split(",")[:3] == ["1", "ok", "0.5"] and "a\\ud800" in csv


def test_output_under_an_ascii_locale_escapes_what_it_cannot_show(tmp_path):
    doc = {
        "hyperparameters": {"type": "object", "properties": {"s": {"enum": ["é"]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"iterations": 1, "method": "random"},
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli("s.json", "--no-ui", cwd=tmp_path, env={**ASCII_LOCALE, "PYTHONIOENCODING": ""})
    assert done.returncode == 0, done.stderr
    assert 'best loss 0.5 (trial 1): s="\\xe9"' in done.stdout  # before: the line was lost
    assert not (tmp_path / "results" / "s" / "logs" / "hypermax.log").exists()


def test_a_newline_in_a_results_folder_s_name_stays_on_its_line(tmp_path):
    spec = _spec(tmp_path, "search.json", 2.0)
    ran = run_hypermax_here(tmp_path / spec, "a\nb")
    assert ran.returncode == 0
    assert "results in a\\nb\n" in ran.stdout + ran.stderr  # the search's first line
    shown = run_cli_here("show", "a\nb", cwd=tmp_path)
    assert shown.stdout.startswith("a\\nb: 1 trial (1 ok)\n")  # was two lines, "a" and "b: ..."
    missing = run_cli_here("show", "a\nc", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, "a\\nc: no such results folder or spec\n")


def test_export_under_an_ascii_locale_writes_the_csv_that_results_csv_holds(tmp_path):
    """Under an ASCII locale stdout writes a letter beyond ASCII as its escape: the exported
    table held the text ``\\u65e5\\u672c`` where results.csv holds 日本, and a program reading it
    read other params than the search ran."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"s": {"enum": ["日本", "😀"]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"iterations": 2, "method": "grid"},
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert run_hypermax_here(tmp_path / "s.json").returncode == 0
    env = {**ASCII_LOCALE, "PYTHONIOENCODING": ""}
    done = run_cli("export", "results/s", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "results" / "s" / "results.csv").read_text(encoding="utf-8")
    assert "日本" in table and "😀" in table
    assert done.stdout == table
    shown = run_cli("show", "results/s", cwd=tmp_path, env=env)  # for reading: escapes
    assert "\\u65e5\\u672c" in shown.stdout
