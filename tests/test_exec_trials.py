"""Single trials that misbehave in ways the other watchdog tests do not try, each run to its
end by ``run_trial`` (the unit the runners use): their outcome, reports and processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import AS_A_USER, FAKES, MARKER_ENV, assert_none_alive, wait_until

import hypermax
from hypermax.execution import output
from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.trial_files import RESULT_FILE
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun, run_trial
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, Report, TrialState


def _run(
    folder: Path,
    reports: list[Report] | None = None,
    params: dict[str, Any] | None = None,
    **function: Any,
) -> Outcome:
    """Run one trial of the function ``function`` describes, in ``folder``."""
    plan = TrialPlan(
        FunctionSpec(**function),
        folder,
        Proposal(1, {"x": 0.5} if params is None else params, {}),
        folder / "trials" / "1",
        folder / "logs" / "trial_1.log",
    )
    return run_trial(plan, on_report=None if reports is None else reports.append)


def _train(folder: Path, source: str, **settings: Any) -> dict[str, Any]:
    """The ``function`` settings of ``train`` in ``source``, written to ``folder/model.py``."""
    (folder / "model.py").write_text(source)
    return {"type": "python_function", "src": str(folder / "model.py"), "name": "train", **settings}


def test_an_executable_run_through_a_symlink_keeps_its_name(tmp_path: Path) -> None:
    """A virtual environment's ``bin/python`` is a symlink to the base interpreter, which finds
    the environment from the name it was started by: resolved, the trial runs outside it."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    base = Path(getattr(sys, "_base_executable", sys.executable))
    (venv / "pyvenv.cfg").write_text(f"home = {base.parent}\n")
    (venv / "bin" / "python").symlink_to(base)
    script = tmp_path / "train.py"
    script.write_text("import json, sys\nprint(json.dumps({'loss': 0.5, 'prefix': sys.prefix}))\n")
    outcome = _run(tmp_path, type="executable", command=(str(venv / "bin/python"), str(script)))
    assert outcome.state is TrialState.OK and outcome.result is not None, outcome.reason
    assert Path(outcome.result["prefix"]) == venv


def test_a_function_that_never_returned_has_no_result_whatever_it_printed(tmp_path: Path) -> None:
    """It prints a number, then ends its process (a library that calls ``os._exit`` to skip a
    slow teardown): that number is not its loss."""
    source = "import os\n\n\ndef train(params):\n    print(0.25, flush=True)\n    os._exit(0)\n"
    outcome = _run(tmp_path, **_train(tmp_path, source))
    assert outcome.state is TrialState.FAILED and outcome.result is None
    assert outcome.reason == (
        "no result: the trial's process ended without returning from the function"
    )


#: a function that silences what it calls (a noisy library) and reports from inside
REPORTS_WHILE_SILENCED = """
import contextlib, io
import hypermax


def train(params):
    with contextlib.redirect_stdout(io.StringIO()):
        print("noise")
        hypermax.report(1, loss=0.5)
    return 0.25
"""


def test_a_report_made_while_stdout_is_redirected_reaches_hypermax(tmp_path: Path) -> None:
    reports: list[Report] = []
    outcome = _run(tmp_path, reports, **_train(tmp_path, REPORTS_WHILE_SILENCED))
    assert outcome.state is TrialState.OK, outcome.reason
    assert [(r.step, r.metrics) for r in reports] == [(1, {"loss": 0.5})]
    assert "noise" not in (tmp_path / "logs" / "trial_1.log").read_text()


#: the recipe that silences what a C library prints: file descriptor 1 pointed at /dev/null
REPORTS_WHILE_SILENCED_BELOW_PYTHON = """
import os


def train(params, reporter):
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        print("noise", flush=True)
        reporter(1, loss=0.5)
    finally:
        os.dup2(saved, 1)
    return 0.25
"""


@pytest.mark.parametrize("preload", [False, True])
def test_a_report_made_while_file_descriptor_1_is_silenced_reaches_hypermax(
    tmp_path: Path, preload: bool
) -> None:
    # before: it went to /dev/null, and with early stopping on each report waited 2 s in vain
    reports: list[Report] = []
    function = _train(tmp_path, REPORTS_WHILE_SILENCED_BELOW_PYTHON, preload=preload)
    outcome = _run(tmp_path, reports, **function)
    assert outcome.state is TrialState.OK, outcome.reason
    assert [(r.step, r.metrics) for r in reports] == [(1, {"loss": 0.5})]
    assert "noise" not in (tmp_path / "logs" / "trial_1.log").read_text()


#: 150 MiB of its own, then 3 forked workers that share it, copy-on-write (a multiprocessing
#: pool's with a dataset loaded first): their RSS counts it 4 times, the memory holds it once
FORKS_WORKERS_ON_ITS_DATA = """
import os, time


def train(params):
    data = bytearray(150 << 20)
    data[::4096] = b"x" * len(data[::4096])
    workers = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            time.sleep(1.0)  # long enough for the watchdog to weigh the tree several times
            os._exit(0)
        workers.append(pid)
    for pid in workers:
        os.waitpid(pid, 0)
    return 0.5
"""


def test_pages_a_trial_shares_with_its_forked_workers_count_once_against_the_ram_limit(
    tmp_path: Path, marker: str
) -> None:
    function = _train(
        tmp_path, FORKS_WORKERS_ON_ITS_DATA, auto_kill_max_ram=400, env={MARKER_ENV: marker}
    )
    outcome = _run(tmp_path, **function)
    assert outcome.state is TrialState.OK, outcome.reason
    # its peak counts the data once too, as the limit did (their summed RSS is over 600 MiB)
    assert 150 <= outcome.peak_rss_mib < 300
    assert_none_alive(marker)


#: 60 MiB of its own, then 3 forked workers that share it until the file ``go`` exists
FORKS_WAITING_WORKERS = """
import os, pathlib, time


def train(params):
    folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
    data = bytearray(b"x") * (60 << 20)
    workers = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            while not (folder / "go").exists():
                time.sleep(0.01)
            os._exit(0)
        workers.append(pid)
    for pid in workers:
        os.waitpid(pid, 0)
    return 0.5 + 0 * len(data)
"""


def test_the_memory_shown_of_a_running_trial_counts_shared_pages_once(tmp_path, marker):
    function = _train(tmp_path, FORKS_WAITING_WORKERS, env={MARKER_ENV: marker})
    plan = TrialPlan(
        FunctionSpec(**function),
        tmp_path,
        Proposal(1, {"x": 0.5}, {}),
        tmp_path / "trials" / "1",
        tmp_path / "logs" / "trial_1.log",
    )
    host = TrialHost(Limits())
    try:
        run = TrialRun(host, plan)
        assert run.start()
        # their summed RSS is over 240 MiB; the dashboard shows the memory as the peak counts it
        wait_until(
            lambda: run.usage.processes == 4 and run.live().rss_mib < 160,
            30,
            "the tree's own memory",
        )
        (tmp_path / "trials" / "1" / "go").touch()
        outcome = run.finish()
    finally:
        host.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert 60 <= outcome.peak_rss_mib < 160
    assert_none_alive(marker)


def test_a_failed_trial_reason_holds_no_terminal_escape_sequences(tmp_path: Path) -> None:
    """A colouring logger's last line (and a title-setting OSC sequence) must not reach the
    journal, nor the terminal that shows the reason."""
    (tmp_path / "fail.py").write_text(
        "import os, sys\n"
        "os.write(2, b'\\x1b[31mValueError: bad shape\\x1b[0m\\x1b]0;title\\x07\\r\\n')\n"
        "sys.exit(3)\n"
    )
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(tmp_path / "fail.py")))
    assert outcome.reason == "exit code 3: ValueError: bad shape"


@pytest.mark.parametrize(
    ("first_line", "why"),
    [
        (b"#!/bin/sh\r\n", "its first line ends in a carriage return (Windows line endings)"),
        (b"#!/no/such/sh\n", "its interpreter /no/such/sh (its first line) cannot be found"),
        (b"echo 0.5\n", "it is a script without a first line naming its interpreter (#!/bin/sh)"),
    ],
)
def test_a_script_that_cannot_start_says_why(tmp_path: Path, first_line: bytes, why: str) -> None:
    script = tmp_path / "train.sh"
    script.write_bytes(first_line + b"echo 0.5\n")
    script.chmod(0o755)
    outcome = _run(tmp_path, type="executable", command=(str(script),))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == f"cannot start: {script}: {why}"


def test_a_program_that_may_not_run_says_why_as_validate_does(tmp_path: Path) -> None:
    """Its execute permission taken away after validate (or a placeholder naming a folder):
    the kernel's "Permission denied" became the reason, where validate says what to do."""
    script = tmp_path / "train.sh"
    script.write_text("#!/bin/sh\necho 0.5\n")
    script.chmod(0o644)
    outcome = _run(tmp_path, type="executable", command=(str(script),))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == f'cannot start: "{script}" is not executable (chmod +x {script})'
    outcome = _run(tmp_path, type="executable", command=("{x}",), params={"x": str(tmp_path)})
    assert outcome.reason == f'cannot start: "{tmp_path}" is a folder, not a program'


def test_a_program_named_by_a_placeholder_and_not_on_path_is_named_so(tmp_path: Path) -> None:
    outcome = _run(tmp_path, type="executable", command=("{x}",), params={"x": "no-such-train"})
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == 'cannot start: cannot find program "no-such-train" on PATH'


def test_a_function_whose_result_is_too_large_is_told_where_large_data_goes(
    tmp_path: Path,
) -> None:
    source = 'def train(params):\n    return {"loss": 0.1, "blob": "x" * (17 << 20)}\n'
    outcome = _run(tmp_path, **_train(tmp_path, source))
    assert outcome.reason == (
        "the function returned 17 MiB (as JSON), over the 16 MiB a result may hold: write large"
        " data to a file in the trial's folder (HYPERMAX_TRIAL_DIR) and return its name"
    )
    # its 17 MiB of JSON stayed in the trial's folder, of no use once the reason was known
    assert not (tmp_path / "trials" / "1" / RESULT_FILE).exists()


def test_a_result_file_is_removed_once_read_unless_hypermax_could_not_read_it(
    tmp_path: Path,
) -> None:
    """A trial's result file stayed in its folder beside the journal that holds its result (30
    trials of 10 MB results: 301 MB of them); it goes once read. An executable's that cannot be
    read stays: what the program wrote there is the only trace of what went wrong."""
    write = "import os, sys; open(os.environ['HYPERMAX_RESULT_FILE'], 'w').write(sys.argv[1])"
    for text, state in (('{"loss": 0.25}', TrialState.OK), ("0.25 !", TrialState.FAILED)):
        command = (sys.executable, "-c", write, text)
        outcome = _run(tmp_path, type="executable", command=command)
        assert outcome.state is state
        left = tmp_path / "trials" / "1" / RESULT_FILE
        assert left.exists() == (state is TrialState.FAILED)
    source = 'def train(params):\n    return {"loss": 0.1, "blob": "x" * 50_000}\n'
    outcome = _run(tmp_path, **_train(tmp_path, source, preload=False))
    assert (outcome.state, outcome.result["blob"]) == (TrialState.OK, "x" * 50_000)
    assert not (tmp_path / "trials" / "1" / RESULT_FILE).exists()


def test_a_function_that_removed_its_own_folder_keeps_its_result(tmp_path: Path) -> None:
    source = (
        "import os, shutil\n\n\n"
        "def train(params):\n"
        "    shutil.rmtree(os.environ['HYPERMAX_TRIAL_DIR'])  # its cwd: 'clean up everything'\n"
        "    return 0.5\n"
    )
    outcome = _run(tmp_path, **_train(tmp_path, source))
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.5}


@pytest.mark.parametrize(
    ("make", "why"),
    [
        ("os.mkfifo(path)", "is a named pipe, not a file"),  # reading it waited for a writer
        ("os.symlink('/dev/zero', path)", "is a device, not a file"),  # it filled the memory
        ("os.mkdir(path)", "is a folder, not a file"),
        # it was "hypermax cannot read the trial's result: [Errno 6] No such device or address"
        ("import socket\nsocket.socket(socket.AF_UNIX).bind(path)", "is a socket, not a file"),
    ],
)
def test_a_result_file_that_is_not_a_file_fails_its_trial_saying_so(
    tmp_path: Path, make: str, why: str
) -> None:
    script = tmp_path / "train.py"
    script.write_text(f"import os\npath = os.environ['HYPERMAX_RESULT_FILE']\n{make}\nprint(0.5)\n")
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script)))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == f"the result file {why}"


def test_a_param_too_long_for_a_variable_is_in_the_params_file_alone(tmp_path: Path) -> None:
    """No environment variable may be longer than 128 KiB: a trial given one as its
    ``HYPERMAX_PARAM_<NAME>`` could not start. A placeholder that gets it fails the trial."""
    params = {"x": 0.5, "text": "a" * (200 << 10)}
    source = "def train(params):\n    return len(params['text'])\n"
    outcome = _run(tmp_path, params=params, **_train(tmp_path, source))
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 200 << 10}
    outcome = _run(tmp_path, params=params, type="executable", command=("echo", "--text={text}"))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == (
        "cannot start: its argument 1 (--text=aaaaaaaaaaaaa...) is 200 KiB long, more than the"
        " 128 KiB the system lets one be"
    )


def test_a_result_printed_over_several_lines_is_named_as_the_missing_result(
    tmp_path: Path,
) -> None:
    """``print(json.dumps(result, indent=2))``: no line of it parses, so the number printed
    before it was the loss (or the reason said only that nothing on stdout parsed)."""
    script = tmp_path / "train.py"
    script.write_text(
        "import json, sys\n"
        "print(0.25)\n"
        "print(json.dumps({'loss': 0.5, 'acc': 0.9}, indent=2), end=sys.argv[1])\n"
    )
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script), "\n"))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == (
        'no result: its last stdout line that may be the result is "{" alone, the start of a'
        " JSON object written over several lines, which is not read: print the result on one"
        " line (json.dumps without indent)"
    )
    script.write_text(script.read_text() + "print(0.75)\n")  # a result after it stands
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script), "\n"))
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.75}


def test_a_result_printed_on_stderr_is_named_where_the_reason_says_none_is(
    tmp_path: Path,
) -> None:
    """``print(loss, file=sys.stderr)``, or a logger's line: the reason said only that nothing on
    stdout parsed, with the number in plain sight in the log."""
    script = tmp_path / "train.py"
    script.write_text("import sys\nprint('epoch 1')\nprint(0.25, file=sys.stderr)\n")
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script)))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == (
        "no result: nothing on stdout parses as a number or a JSON object (the last line on"
        " stderr does: 0.25; a result is read from stdout)"
    )


def test_a_result_line_too_long_to_read_is_named_as_the_missing_result(tmp_path: Path) -> None:
    """Lines longer than 64 KiB are not read: one that may be the result (a JSON object),
    after the number printed before it, leaves no result, which says why (before: that number
    was the loss, or 'nothing on stdout parses as a number or a JSON object')."""
    script = tmp_path / "train.py"
    script.write_text(
        "import json, sys\n"
        "print(0.25)\n"
        "print(json.dumps({'loss': 0.5, 'history': [0.5] * 20000}))\n"
        "if len(sys.argv) > 1:\n"
        "    print(0.75)\n"
    )
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script)))
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == (
        "no result: its last stdout line that may be the result (a JSON object) is longer than"
        " 64 KiB, more than a result line may be: write a larger result to the file"
        " HYPERMAX_RESULT_FILE names"
    )
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script), "then"))
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.75}


def test_a_report_line_a_logger_wrote_leaves_a_note_in_the_log(tmp_path: Path) -> None:
    """A report line is read from stdout, at the start of its line: one that a logger wrote,
    to stderr or after its prefix, was passed over without a trace."""
    script = tmp_path / "train.py"
    script.write_text(
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO)  # to stderr\n"
        'logging.info(\'HYPERMAX_REPORT {"step": 1, "loss": 0.5}\')\n'
        "logging.basicConfig(stream=sys.stdout, level=logging.INFO, force=True)\n"
        'logging.info(\'HYPERMAX_REPORT {"step": 2, "loss": 0.5}\')\n'
        "print('HYPERMAX_REPORT_DIR is not a report')\n"
        "print(0.5)\n"
    )
    reports: list[Report] = []
    outcome = _run(tmp_path, reports, type="executable", command=(sys.executable, str(script)))
    assert outcome.state is TrialState.OK and reports == []
    log = (tmp_path / "logs" / "trial_1.log").read_text().splitlines()
    notes = {line for line in log if line.startswith("[hypermax:")}  # stderr's, stdout's
    assert notes == {
        "[hypermax: ignored a report line on stderr: HYPERMAX_REPORT lines are read from stdout]",
        "[hypermax: ignored a report line: HYPERMAX_REPORT is to start its line, got"
        ' \'INFO:root:HYPERMAX_REPORT {"step": 2, "loss": 0.5}\']',
    }


@pytest.mark.parametrize("preload", [False, True])
def test_a_search_run_in_a_trial_of_another_passes_on_none_of_its_params_or_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preload: bool
) -> None:
    """hypermax started by a trial of an outer search (a nested search) has that trial's
    variables: its own trials read the outer trial's params when theirs were too long to pack,
    and each of their reports waited for a verdict that no early stopping of theirs sends."""
    from hypermax import system_text
    from hypermax.execution import protocol, reports

    monkeypatch.setenv(protocol.PARAMS_PACKED_ENV, protocol.pack({"x": 9.0, "text": "outer"}))
    monkeypatch.setenv(reports.VERDICT_WAIT_ENV, "8")
    monkeypatch.setenv(system_text.PARAM_ENV_PREFIX + "DEPTH", "4")
    source = (
        "import os\n\n\n"
        "def train(params, reporter):\n"
        "    reporter(1, loss=params['x'])\n"
        "    return {'loss': params['x'], 'text': len(params['text']),\n"
        "            'left': sorted(n for n in os.environ if n.startswith('HYPERMAX_PARAM'))}\n"
    )
    params = {"x": 0.5, "text": "a" * (40 << 10)}  # too long to pack: read from the file
    outcome = _run(tmp_path, [], params=params, **_train(tmp_path, source, preload=preload))
    assert outcome.state is TrialState.OK and outcome.result is not None, outcome.reason
    assert outcome.result["loss"] == 0.5 and outcome.result["text"] == 40 << 10
    assert outcome.result["left"] == [
        "HYPERMAX_PARAMS_FILE",
        "HYPERMAX_PARAM_TEXT",
        "HYPERMAX_PARAM_X",
    ]
    assert outcome.wall_time < 6  # its report did not wait 8 s for a verdict


def test_a_trial_run_again_clears_what_its_earlier_run_made_of_its_result_file(
    tmp_path: Path,
) -> None:
    """A trial running again (after a crash of hypermax) reuses its folder, cleared of the
    earlier run's result: a folder made under that name stopped it from running at all
    ("cannot prepare the trial's files: [Errno 21] Is a directory")."""
    (tmp_path / "trials" / "1" / ".hypermax_result.json").mkdir(parents=True)
    script = tmp_path / "train.py"
    script.write_text("print(0.5)\n")
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script)))
    assert outcome.state is TrialState.OK, outcome.reason


def test_a_result_line_in_colour_or_behind_a_byte_order_mark_is_read_as_a_terminal_shows_it(
    tmp_path: Path,
) -> None:
    """A program that colours its output (a logger's green, a reset after the number) or writes
    a byte-order mark first had 'no result: nothing on stdout parses as a number'."""
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "out = sys.stdout.buffer\n"
        "bom, colour = b'\\xef\\xbb\\xbf0.5\\n', b'\\x1b[32m0.25\\x1b[0m\\n'\n"
        "out.write(bom if sys.argv[1] == 'bom' else colour)\n"
    )
    for kind, loss in (("bom", 0.5), ("colour", 0.25)):
        command = (sys.executable, str(script), kind)
        outcome = _run(tmp_path, type="executable", command=command)
        assert outcome.state is TrialState.OK and outcome.result == {"loss": loss}, outcome.reason


def test_a_line_with_an_underscore_is_not_a_number_though_python_reads_it_as_one(
    tmp_path: Path,
) -> None:
    """``1_000`` is a name (a run's, a checkpoint's), not a loss, as JSON and a shell read it:
    printed after the result line, it was taken for the loss 1000."""
    script = tmp_path / "train.py"
    script.write_text("print('{\"loss\": 0.5, \"val_acc\": 0.9}')\nprint('1_000')\n")
    outcome = _run(tmp_path, type="executable", command=(sys.executable, str(script)))
    expected = {"loss": 0.5, "val_acc": 0.9}  # a JSON object's names hold underscores
    assert outcome.state is TrialState.OK and outcome.result == expected, outcome.result


@pytest.mark.skipif(AS_A_USER is None, reason="needs setpriv, run as root")
def test_a_trial_folder_an_earlier_run_made_unusable_is_given_back_to_its_run_again(
    tmp_path: Path,
) -> None:
    """A trial interrupted after its ``chmod 000`` clean-up runs again in that folder on resume:
    its files could not be made there, and it failed, never to run again."""
    folder = tmp_path / "trials" / "1"
    folder.mkdir(parents=True)
    folder.chmod(0)
    make = (
        "import pathlib, sys\n"
        "from hypermax.execution.trial_files import TrialFiles\n"
        "TrialFiles(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])).make({'x': 1}).close()\n"
    )
    log = tmp_path / "logs" / "trial_1.log"
    argv = [*(AS_A_USER or []), sys.executable, "-c", make, str(folder), str(log)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # PermissionError: .hypermax_result.json
    assert json.loads((folder / ".hypermax_params.json").read_text()) == {"x": 1}


@pytest.mark.parametrize("entry", ["bin", ""])
def test_a_program_on_a_relative_path_entry_is_found_from_where_hypermax_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    """``PATH=bin:$PATH hypermax ...`` (or a ``PATH`` with an empty entry, the current folder)
    finds the program where ``validate`` found it, not in the trial's own folder."""
    folder = tmp_path / entry
    folder.mkdir(exist_ok=True)
    (folder / "my-trial").write_text("#!/bin/sh\necho 0.25\n")
    (folder / "my-trial").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{entry}:/usr/bin:/bin")
    outcome = _run(tmp_path, type="executable", command=("my-trial",))
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 0.25}


def test_a_failed_trial_s_reason_is_its_own_last_line_not_one_of_a_child_killed_after(
    tmp_path: Path,
) -> None:
    """A child it left running says something on stderr as hypermax kills it (multiprocessing's
    resource tracker warns of the shared memory it cleans up): that line went into the reason."""
    outcome = _run(
        tmp_path,
        type="executable",
        command=(sys.executable, str(FAKES / "fail_leaving_child.py")),
    )
    assert outcome.state is TrialState.FAILED
    assert outcome.reason == "exit code 3: ValueError: the trial's own reason"
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    assert "UserWarning: the child was told to stop" in log  # in its log all the same


def test_what_a_trial_printed_comes_before_the_note_on_what_it_left_running(
    tmp_path: Path, marker: str
) -> None:
    """Also when its reports came faster than they were taken in, which holds its stdout."""
    plan = TrialPlan(
        FunctionSpec(
            type="executable",
            command=(sys.executable, str(FAKES / "leave_child.py")),
            env={MARKER_ENV: marker, "GO_FILE": str(tmp_path / "go")},
        ),
        tmp_path,
        Proposal(1, {"x": 0.5}, {}),
        tmp_path / "trials" / "1",
        tmp_path / "logs" / "trial_1.log",
    )

    def hold(report: Report) -> bool:
        (tmp_path / "go").touch()
        return True  # reports come too fast: stdout is held

    outcome = run_trial(plan, on_report=hold)
    assert outcome.state is TrialState.OK, outcome.reason
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    assert log.index("0.5\n") < log.index("[hypermax: the trial left processes running")
    assert_none_alive(marker)


def test_a_relative_folder_on_the_path_of_the_spec_is_named_from_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``"env": {"PATH": "bin:/usr/bin:/bin"}``: ``validate`` and every trial look for the
    program in the spec's ``bin``, wherever hypermax started."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "my-trial").write_text("#!/bin/sh\necho 0.25\n")
    (tmp_path / "bin" / "my-trial").chmod(0o755)
    function = {"type": "executable", "command": ["my-trial"], "env": {"PATH": "bin:/usr/bin"}}
    spec = tmp_path / "search.json"
    space = {"type": "object", "properties": {"x": {"enum": [1]}}}
    spec.write_text(json.dumps({"hyperparameters": space, "function": function}))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    hypermax.load_spec(str(spec))
    outcome = _run(tmp_path, type="executable", command=("my-trial",), env=function["env"])
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 0.25}


@pytest.mark.parametrize("cwd", [None, "."])
def test_a_trial_s_pwd_names_the_folder_it_starts_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str | None
) -> None:
    """As a shell sets it: not the folder hypermax started in, which a program reading
    ``$PWD`` (a Makefile, a Node or R script) would take for its own."""
    monkeypatch.setenv("PWD", "/")
    code = "import json, os; print(json.dumps({'loss': 0.5, 'pwd': os.environ['PWD']}))"
    settings = {} if cwd is None else {"cwd": cwd}
    outcome = _run(tmp_path, type="executable", command=(sys.executable, "-c", code), **settings)
    assert outcome.state is TrialState.OK and outcome.result is not None, outcome.reason
    expected = tmp_path / "trials" / "1" if cwd is None else tmp_path
    assert Path(outcome.result["pwd"]).resolve() == expected.resolve()


def test_a_process_that_escaped_the_watchdog_and_holds_the_output_is_killed(
    tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It cleared its environment, called ``setsid`` and lost its parent, mostly before a tick
    of the watchdog (which kills it as a leftover when it saw it): holding the trial's output,
    it is one of the trial's."""
    monkeypatch.setattr(output, "OUTPUT_DRAIN_SECONDS", 0.2)
    command = (str(FAKES / "escape.sh"),)
    outcome = _run(tmp_path, type="executable", command=command, env={MARKER_ENV: marker})
    assert outcome.state is TrialState.OK, outcome.reason
    assert_none_alive(marker, timeout=1.0)
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    seen = "[hypermax: the trial left processes running: SIGTERM"
    assert seen in log or "processes the watchdog never saw held the trial's output: SIGTERM" in log


def test_a_trials_log_with_a_run_the_journal_does_not_know_is_noted_as_a_run_again(tmp_path):
    """hypermax stopped as the trial started, before the journal had its start: the trial, new
    to the resumed search, wrote its output after that run's with nothing between."""
    from hypermax.execution.trial_files import UNRECORDED_RUN, TrialFiles

    log = tmp_path / "logs" / "trial_1.log"
    TrialFiles(tmp_path / "trials" / "1", log).make({"x": 1}).close()  # a new trial: no note
    assert log.read_text() == ""
    log.write_text("the run starts\n")
    TrialFiles(tmp_path / "trials" / "1", log).make({"x": 1}).close()
    assert log.read_text().splitlines() == [
        "the run starts",
        "",
        f"[hypermax: trial 1 runs again: {UNRECORDED_RUN}]",
    ]
