"""A report's step is a whole number: ``2.0`` counts as 2; ``0.5``, ``"epoch1"`` or ``None`` fail
the trial with a reason that names the step, and a ``HYPERMAX_REPORT`` line that cannot be used
is ignored with a note in the trial's log, never dropped without a trace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy
import pytest
from conftest import journal_records, run_hypermax_here
from fake_trials.helpers import FAKES, by_param, write_spec

from hypermax.execution.output import StdoutScanner
from hypermax.execution.reports import parse_report, whole_step

WHOLE = "step must be a whole number (an epoch, a batch count), got"
BOUND = "step must be an epoch or a batch count, below 2**63, got"
FUNCTION_KINDS = ["half_steps", "text_step", "no_step", "whole_steps", "negative_steps"]


# -- the step function ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "step"),
    [
        (3, 3),
        (0, 0),
        (numpy.int64(7), 7),
        (numpy.uint8(4), 4),
        (2.0, 2),
        (-1.0, -1),
        (numpy.float64(5.0), 5),
        (numpy.float32(6.0), 6),
    ],
)
def test_a_whole_number_is_a_step(value, step):
    assert whole_step(value) == step
    assert type(whole_step(value)) is int


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.5, "0.5"),
        (numpy.float32(1.5), repr(numpy.float32(1.5))),  # numpy 1 shows 1.5, numpy 2 more
        ("epoch1", "'epoch1'"),
        ("3", "'3'"),
        (None, "None"),
        (True, "True"),
        (numpy.True_, repr(numpy.True_)),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        ([1], "[1]"),
        (1 + 0j, "(1+0j)"),
        ("x" * 100, "'" + "x" * 56 + "..."),
    ],
)
def test_anything_else_is_refused_saying_what_it_got(value, shown):
    with pytest.raises(TypeError) as info:
        whole_step(value)
    assert str(info.value) == f"{WHOLE} {shown}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2**63, str(2**63)),
        (-(2**63), str(-(2**63))),
        (1e300, "1e+300"),
        pytest.param(10**5000, "an integer of thousands of digits", id="5001-digits"),
    ],
)
def test_a_step_past_an_int64_is_refused(value, shown):
    assert whole_step(2**63 - 1) == 2**63 - 1
    with pytest.raises(TypeError) as info:
        whole_step(value)
    assert str(info.value) == f"{BOUND} {shown}"


# -- report lines ---------------------------------------------------------------------------
def test_a_report_line_with_a_whole_float_step_is_a_report():
    assert parse_report('HYPERMAX_REPORT {"step": 2.0, "loss": 0.4}') == (2, {"loss": 0.4})
    assert parse_report('HYPERMAX_REPORT {"loss": 0.4}') == (0, {"loss": 0.4})
    assert parse_report('{"step": 2, "loss": 0.4}') is None  # no prefix: not a report line


@pytest.mark.parametrize(
    ("rest", "why"),
    [
        ('{"step": 1.5}', f"{WHOLE} 1.5"),
        ('{"step": "3"}', f'{WHOLE} "3"'),  # as the line writes it, not as Python does
        ('{"step": null}', f"{WHOLE} null"),
        ('{"step": true}', f"{WHOLE} true"),
        ('{"step": NaN}', f"{WHOLE} NaN"),
        ('{"step": [1, "a"]}', f'{WHOLE} [1, "a"]'),
        ('{"step": 1', "not JSON: Expecting ',' delimiter"),
        ("[1, 0.5]", "not a JSON object: [1, 0.5]"),
        ('["a", false]', 'not a JSON object: ["a", false]'),
        ("[" * 20000, "not JSON: nested too deeply"),
        # a count of epochs that no chart's float axis holds (hypermax plot crashed on it)
        ('{"step": 1e308}', f"{BOUND} 1e+308"),
        ('{"step": 1' + "0" * 400 + "}", f"{BOUND} {'1' + '0' * 56}..."),
        ('{"step": 9223372036854775808}', f"{BOUND} 9223372036854775808"),
    ],
)
def test_a_report_line_that_cannot_be_used_says_why(rest, why):
    with pytest.raises(ValueError) as info:
        parse_report("HYPERMAX_REPORT " + rest)
    assert str(info.value) == why


@pytest.mark.parametrize(
    "line", ['HYPERMAX_REPORT{"step": 1}', 'HYPERMAX_REPORT: {"step": 1}', "HYPERMAX_REPORT\t{}"]
)
def test_a_report_line_without_the_space_after_the_word_says_so(line):
    # before: not taken for a report line, so ignored without a note in the trial's log
    with pytest.raises(ValueError) as info:
        parse_report(line)
    assert str(info.value).startswith("HYPERMAX_REPORT is to be followed by a space and a JSON")
    assert parse_report("HYPERMAX_REPORTS: 3 written") is None  # another word


def test_the_scanner_passes_on_the_first_refusal_only_and_counts_them_all():
    reports: list[tuple[int, dict[str, Any]]] = []
    refusals: list[str] = []
    scanner = StdoutScanner(lambda step, metrics: reports.append((step, metrics)), refusals.append)
    scanner.feed(b'HYPERMAX_REPORT {"step": 0.5}\nHYPERMAX_REPORT {"step": 1.0, "loss": 1}\n')
    scanner.feed(b"HYPERMAX_REPORT nonsense\n0.25\n")
    scanner.close()
    assert reports == [(1, {"loss": 1})]
    assert refusals == [f"{WHOLE} 0.5"]
    assert scanner.refused == 2
    assert scanner.result == {"loss": 0.25}


def test_a_report_line_too_long_to_read_is_refused_and_other_long_lines_are_not():
    refusals: list[str] = []
    scanner = StdoutScanner(lambda step, metrics: None, refusals.append)
    long_report = b'HYPERMAX_REPORT {"step": 1, "m": "' + b"x" * 70000 + b'"}\n'
    scanner.feed(b"x" * 70000 + b"\n" + long_report)  # whole lines within one chunk
    scanner.feed(long_report[:10])  # one gathered over several chunks
    scanner.feed(long_report[10:40000])
    scanner.feed(long_report[40000:] + b"0.25\n")
    scanner.close()
    assert refusals == ["longer than 64 KiB, more than a report may be"]
    assert scanner.refused == 2 and scanner.result == {"loss": 0.25}


def test_lines_nested_too_deeply_for_json_do_not_stop_the_scanner():
    """json gives up on them with RecursionError, which would have cost the trial the rest of
    its output."""
    reports: list[tuple[int, dict[str, Any]]] = []
    refusals: list[str] = []
    scanner = StdoutScanner(lambda step, metrics: reports.append((step, metrics)), refusals.append)
    scanner.feed(b"HYPERMAX_REPORT " + b"[" * 20000 + b"\n" + b'{"a": ' * 12000 + b"\n")
    scanner.feed(b'HYPERMAX_REPORT {"step": 1, "loss": 0.5}\n0.25\n')
    scanner.close()
    assert reports == [(1, {"loss": 0.5})]
    assert refusals == ["not JSON: nested too deeply"]
    assert scanner.result == {"loss": 0.25}


def test_a_line_a_progress_bar_rewrote_with_carriage_returns_is_read_as_a_terminal_shows_it():
    reports: list[tuple[int, dict[str, Any]]] = []
    scanner = StdoutScanner(lambda step, metrics: reports.append((step, metrics)), print)
    scanner.feed(b'batch 1/2\rbatch 2/2\rHYPERMAX_REPORT {"step": 1, "loss": 0.5}\r\n')
    scanner.feed(b"epoch 1 [#####] 100%\r0.25\n")
    scanner.close()
    assert reports == [(1, {"loss": 0.5})]
    assert scanner.result == {"loss": 0.25}


_TOO_LONG_OBJECT = b'{"loss": 1, "m": "' + b"x" * 70000 + b'"}'


@pytest.mark.parametrize(
    "lines",
    [
        [b"0.5", b"epoch 1 loss 0.4", b"12/500 [==>...] - ETA: 3s"],  # the last result stands
        [b"0.5", _TOO_LONG_OBJECT, b"done"],  # then a result too long to read: none
        [_TOO_LONG_OBJECT, b"0.5", b"x" * 70000],  # a result after it, then a long line
        [b"0.5", b"batch 1/2\r0.75", b"0.25\rbatch 2/2"],  # as a terminal shows each
        [b"\xef\xbb\xbf0.75", b"\xef\xbb\xbfnot a result"],  # after a byte-order mark
        [b"\x1b[32m0.75\x1b[0m", b"\x1b[1mbold\x1b[0m"],  # coloured
        [b'HYPERMAX_REPORT {"step": 1, "loss": 2}', b"0.5", b"HYPERMAX_REPORT bad", b"1e-3"],
        [b'HYPERMAX_REPORT {"step": 1}', b"0.5", b"\x1b[32m0.75\x1b[0m", b"1e-3", b"done"],
        [b"0.5", b"\x1b[32m0.75\x1b[0m", b'HYPERMAX_REPORT {"step": 2}', b"done"],
        [b"\x1b[1m0.75", b"0.5", b"x HYPERMAX_REPORT {}", b'{"a": "HYPERMAX_REPORT {}"}'],
        [b"0.5", b'HYPERMAX_REPORT {"step": 1}\r0.25', b"HYPER\x1b[0mMAX_REPORT {}", b"x"],
        [b"0.5", b'bar\rHYPERMAX_REPORT {"step": 3}', b"\xef\xbb\xbfHYPERMAX_REPORT {}", b"x"],
        [b"0.5", b'  {"loss": 0.25}  ', b"{not json", b"1_000", b"nan?"],
        [b"0.5", b" 0.25 \x1c", b"12/500 [==>...]"],  # \x1c: a space to str.strip()
        [b"0.5", b"\t0.25 \xc2\xa0", b"1 2"],  # a no-break space, in UTF-8
        [b"0.5", b'\x0c{"loss": 0.25} ', b"0 loss 0.4"],
        [b"0.5", b"{", b'  "loss": 0.25', b"}"],  # a result written over several lines
        [b"{", b'  "loss": 0.25', b"}", b" 0.5 "],
        [b"epoch 1", b"epoch 2"],  # no result at all
    ],
)
def test_a_chunk_of_many_lines_is_read_as_the_same_lines_one_at_a_time(lines):
    """A trial that floods its stdout hands over chunks of many lines, which the scanner reads
    from the last back to the one that settles the result, when none of them may be a report:
    what it finds is what it finds in the same lines written one by one."""

    def scanned(chunks: list[bytes]) -> tuple[object, ...]:
        reports: list[tuple[int, dict[str, Any]]] = []
        refusals: list[str] = []
        scanner = StdoutScanner(
            lambda step, metrics: reports.append((step, metrics)), refusals.append
        )
        for chunk in chunks:
            scanner.feed(chunk)
        scanner.close()
        return scanner.result, scanner.no_result, reports, refusals, scanner.refused

    one_by_one = scanned([line + b"\n" for line in lines])
    assert scanned([b"start\n" + b"\n".join(lines) + b"\n"]) == one_by_one
    assert scanned([b"start\n" + b"\n".join(lines)]) == one_by_one  # the last line unended
    assert one_by_one[:2] != (None, "") or lines[0].startswith(b"epoch")


# -- real trials ----------------------------------------------------------------------------
def _points(name: str, kinds: list[str], function: dict[str, Any]) -> dict[str, Any]:
    return {
        "hyperparameters": {"type": "object", "properties": {"kind": {"enum": kinds}}},
        "function": {"parallel": 2, **function},
        "search": {
            "name": name,
            "iterations": len(kinds),
            "points": [{"kind": kind} for kind in kinds],
            "max_initial_failures": 0,  # most trials are meant to fail: the search goes on
        },
    }


def _reported_steps(folder: Path, trial_id: int) -> list[int]:
    records = journal_records(folder)
    return [r["step"] for r in records if r["event"] == "trial_reported" and r["id"] == trial_id]


@pytest.fixture(scope="module")
def functions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One search over every kind of step in ``fake_trials/report_steps.py``: its results
    folder and its finished records by kind."""
    folder = tmp_path_factory.mktemp("report-steps")
    function = {"type": "python_function", "src": str(FAKES / "report_steps.py"), "name": "train"}
    proc = run_hypermax_here(write_spec(folder, _points("steps", FUNCTION_KINDS, function)))
    assert proc.returncode == 0, proc.stderr
    results = folder / "results" / "steps"
    return results, by_param(results, "kind")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("half_steps", f"TypeError: reporter: {WHOLE} 0.5"),
        ("text_step", f"TypeError: reporter: {WHOLE} 'epoch1'"),
        ("no_step", f"TypeError: hypermax.report: {WHOLE} None"),
    ],
)
def test_a_step_that_is_not_a_whole_number_fails_the_trial_naming_the_step(functions, kind, reason):
    folder, trials = functions
    trial = trials[kind]
    assert (trial["state"], trial["reason"]) == ("failed", reason)
    assert _reported_steps(folder, trial["id"]) == []  # 0.5 was not reported as step 0


def test_whole_floats_and_numpy_numbers_are_reported_as_their_int(functions):
    folder, trials = functions
    trial = trials["whole_steps"]
    assert trial["state"] == "ok", trial["reason"]
    assert _reported_steps(folder, trial["id"]) == [1, 2, 3]


def test_negative_steps_are_steps_before_zero(functions):
    folder, trials = functions
    trial = trials["negative_steps"]
    assert trial["state"] == "ok", trial["reason"]
    assert _reported_steps(folder, trial["id"]) == [-3, -1, 0]


def test_an_executables_unusable_report_lines_leave_a_note_and_whole_floats_count(tmp_path):
    function = {"type": "executable", "command": [sys.executable, str(FAKES / "report_lines.py")]}
    doc = _points("lines", ["one"], function)
    proc = run_hypermax_here(write_spec(tmp_path, doc))
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "lines"
    assert by_param(folder, "kind")["one"]["state"] == "ok"
    assert _reported_steps(folder, 1) == [-1, 2, 5]
    log = (folder / "logs" / "trial_1.log").read_text()
    assert log.count("[hypermax: ignored a report line: ") == 1
    assert f'[hypermax: ignored a report line: {WHOLE} "3"]' in log
    assert "[hypermax: ignored 4 report lines in all]" in log


def test_a_function_does_not_wait_for_a_verdict_on_a_report_too_long_to_read(tmp_path):
    # hypermax never reads it, so no verdict comes: each one held the trial 2 s
    function = {"type": "python_function", "src": str(FAKES / "report_steps.py"), "name": "train"}
    doc = _points("big", ["big_reports"], function)
    doc["search"]["early_stopping"] = {"policy": "median"}
    proc = run_hypermax_here(write_spec(tmp_path, doc))
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "big"
    trial = by_param(folder, "kind")["big_reports"]
    assert trial["state"] == "ok" and trial["time"] < 2.0  # not 3 waits of 2 s
    assert _reported_steps(folder, 1) == [4]
    log = (folder / "logs" / "trial_1.log").read_text()
    assert "[hypermax: ignored a report line: longer than 64 KiB" in log
