"""``hypermax quick`` reads its metric from ``name: value``, ``name=value`` and ``name value`` in a
line and from a JSON object line that holds it, the way programs print their metrics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hypermax.execution.protocol import ERROR_KEY
from hypermax.quick.metric_line import last_value, main, metric_pattern

LINES = [
    (b"val_loss: 0.5\n", 0.5),
    (b"val_loss=0.25\n", 0.25),
    (b'{"val_loss": 0.125, "epoch": 3}\n', 0.125),
    (b'  {"epoch": 3, "val_loss": 2}\r\n', 2.0),
    (b'{"val_loss": "low"}\n', None),  # not a number
    (b'{"val_loss": true}\n', None),
    (b'{"other": 1}\n', None),
    (b"{not json\n", None),
    (b"[0.5]\n", None),
    # inside a line, as training loops print them
    (b"10/10 [====] - 1s - loss: 0.9 - val_loss: 0.375 - val_acc: 0.7\n", 0.375),
    (b"\r 5/10 [==>...] val_loss: 0.9\r10/10 [=====] val_loss: 0.0625\n", 0.0625),
    (b"Epoch 3: 100%|####| 10/10 [00:01<00:00, val_loss=0.5, acc=0.25]\n", 0.5),
    (b"{'eval_loss': 1.5, 'val_loss': 0.75, 'epoch': 1.0}\n", 0.75),
    (b"final val_loss: 0.5.\n", 0.5),
    (b"loss: 0.9 - my.val_loss: 0.1 - pre_val_loss: 0.2\n", None),  # other metrics' names
    (b"val_loss: 0.5s\n", None),  # a number that goes on is no value
    (b"val_loss: 0,375\n", None),  # a decimal comma (a German locale's) was read as 0
    (b"val_loss=12,5 acc=0,75\n", None),  # and 12
    (b"val_loss: 1,234.5\n", 1234.5),  # a thousands separator is one
    (b"val_loss improved from 0.5 to 0.4\n", None),
    # a percentage is the fraction it stands for: 31% was read as 31, where 0.31 is 0.31
    (b"val_loss: 31%\n", 0.31),
    (b"Epoch 3: 100%|####| 10/10 [val_loss=12.5 %]\n", 0.125),
    (b"val_loss: 0.1%\n", 0.001),  # as written, not 0.1 / 100 (1.0000000000000002e-03)
    (b"val_loss: 31%x\n", None),  # a number that goes on
    # print("val_loss", value), alone or among others
    (b"val_loss 0.5\n", 0.5),
    (b"epoch 3 loss 0.9 val_loss  0.25 acc 0.5\n", 0.25),
    (b"val_loss 0.5s\n", None),
    # coloured, as a terminal shows it (a colouring logger, rich's highlighting)
    (b"\x1b[32mval_loss: 0.25\x1b[0m\n", 0.25),
    (b"\x1b[1mval_loss\x1b[0m: \x1b[1;36m0.125\x1b[0m\n", 0.125),
]


@pytest.mark.parametrize(("line", "value"), LINES)
def test_a_line_gives_the_metric_when_it_names_it(line, value):
    assert last_value([line], metric_pattern("val_loss"), "val_loss") == value


def test_a_metric_named_inside_another_is_read_by_its_own_name():
    line = b"10/10 [====] - loss: 0.9 - val_loss: 0.375\n"
    assert last_value([line], metric_pattern("loss"), "loss") == 0.9


def test_the_last_line_that_gives_it_wins_and_other_lines_leave_it():
    lines = [b"val_loss: 0.5\n", b'{"val_loss": 0.25}\n', b'{"val_loss": "x"}\n', b"done\n"]
    assert last_value(lines, metric_pattern("val_loss"), "val_loss") == 0.25


def test_a_command_that_prints_json_metrics_gets_its_result(tmp_path, monkeypatch, capsysbinary):
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    printing = "import json; print(json.dumps({'acc': 0.875, 'loss': 0.3}))"
    assert main(["acc", "--", sys.executable, "-c", printing]) == 0
    assert json.loads(result.read_text()) == {"acc": 0.875}
    assert capsysbinary.readouterr().out == b'{"acc": 0.875, "loss": 0.3}\n'  # passed on


def test_a_percentage_reads_as_the_fraction_in_a_result_and_in_a_long_line(
    tmp_path, monkeypatch, capfdbinary
):
    """``acc: 31%`` was 31 and ``acc: 0.31`` 0.31: a command that prints either reads the
    same, also in a line too long to be held whole."""
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    for printing in ("print('acc: 31%')", "print('x' * 3_000_000 + ' acc: 31% ' + 'y' * 9000)"):
        result.unlink(missing_ok=True)
        assert main(["acc", "--", sys.executable, "-c", printing]) == 0
        assert json.loads(result.read_text()) == {"acc": 0.31}
        capfdbinary.readouterr()


def test_a_metric_written_to_stderr_counts_and_both_streams_are_passed_on(
    tmp_path, monkeypatch, capfdbinary
):
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    logging = (  # a logger writes to stderr: so does a progress bar
        "import sys; print('epoch 1', flush=True); sys.stderr.write('INFO val_loss: 0.5\\n')"
    )
    assert main(["val_loss", "--", sys.executable, "-c", logging]) == 0
    assert json.loads(result.read_text()) == {"val_loss": 0.5}
    streams = capfdbinary.readouterr()
    assert (streams.out, streams.err) == (b"epoch 1\n", b"INFO val_loss: 0.5\n")


def test_a_command_that_leaves_a_process_holding_its_output_still_gets_its_result(
    tmp_path, monkeypatch
):
    import os
    import signal
    import time

    result, pid_file = tmp_path / "result.json", tmp_path / "background.pid"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    script = f"sleep 60 & echo $! > {pid_file}; echo 'val_loss: 0.5'"  # a server left running
    started = time.monotonic()
    try:
        assert main(["val_loss", "--", "sh", "-c", script]) == 0
        assert time.monotonic() - started < 30  # not the background process's 60 s
    finally:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert json.loads(result.read_text()) == {"val_loss": 0.5}


def test_a_metric_printed_with_a_unit_says_so_in_the_failure(tmp_path, monkeypatch):
    """ "m: 1.5ms" is no value (a number that goes on), and the reason said m was never printed."""
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    assert main(["m", "--", "sh", "-c", "echo 'm: 1.5ms'; echo 'm improved' >&2"]) == 0
    reason = json.loads(result.read_text())[ERROR_KEY]
    assert reason.startswith('m was never printed ("m: 0.31", ')
    assert reason.endswith('; a line gave it as no number alone: "m: 1.5ms"')


def test_a_progress_bar_s_line_is_passed_on_as_it_is_drawn(tmp_path):
    """Output was passed on line by line: a progress bar, which rewrites its line with \\r and
    ends it once done, showed nothing in the trial's log (nor the dashboard's) until then."""
    import os
    import select
    import subprocess
    import time

    import hypermax

    result, go = tmp_path / "result.json", tmp_path / "go"
    bar = (
        "import os, sys, time\n"
        "sys.stderr.write('\\rstep 1 val_loss=0.5'); sys.stderr.flush()\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.01)\n"
        "sys.stderr.write('\\rstep 2 val_loss=0.25\\n')\n"
    )
    env = {**os.environ, "HYPERMAX_RESULT_FILE": str(result)}
    env["PYTHONPATH"] = str(Path(hypermax.__file__).parents[1])
    argv = [sys.executable, "-m", "hypermax.quick.metric_line", "val_loss", "--"]
    reader = subprocess.Popen([*argv, sys.executable, "-c", bar], stderr=subprocess.PIPE, env=env)
    assert reader.stderr is not None
    drawn, deadline = b"", time.monotonic() + 10
    try:
        while b"step 1 val_loss=0.5" not in drawn and time.monotonic() < deadline:
            if select.select([reader.stderr], [], [], 0.1)[0]:
                drawn += os.read(reader.stderr.fileno(), 4096)
    finally:
        go.touch()  # the bar goes on, and ends its line
        shown = drawn + reader.stderr.read()
        reader.wait(30)
    assert drawn == b"\rstep 1 val_loss=0.5"  # passed on before its line ended
    assert shown == b"\rstep 1 val_loss=0.5\rstep 2 val_loss=0.25\n"
    assert json.loads(result.read_text()) == {"val_loss": 0.25}


def test_a_long_line_is_read_whole_and_a_long_progress_bar_as_it_ends(
    tmp_path, monkeypatch, capfdbinary
):
    """Past 64 KiB a line still open is read up to its last \\r: the value a progress bar shows
    last wins, and a long line without one is read whole, as before."""
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    bar = "import sys; [sys.stdout.write(f'\\r{i} val_loss={i}') for i in range(50000)]"
    assert main(["val_loss", "--", sys.executable, "-c", bar]) == 0
    assert json.loads(result.read_text()) == {"val_loss": 49999.0}
    result.unlink()  # written by the reader only where the command wrote none
    long = "print('val_loss: 0.5 ' + 'x' * 300000 + ' acc: 1')"
    assert main(["val_loss", "--", sys.executable, "-c", long]) == 0
    assert json.loads(result.read_text()) == {"val_loss": 0.5}
    capfdbinary.readouterr()


def test_a_command_that_cleans_up_on_sigterm_has_its_words_passed_on(tmp_path):
    """The kill ladder's SIGTERM, sent to every process of the trial, ended the reader at once:
    the command's print as it cleaned up failed (BrokenPipeError), its words lost."""
    import os
    import signal
    import subprocess

    import hypermax

    cleaning = (
        "import os, signal, sys\n"
        "def stop(*_):\n"
        "    print('checkpoint saved', flush=True)\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('ready', os.getpid(), flush=True)\n"
        "signal.pause()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(hypermax.__file__).parents[1])}
    argv = [sys.executable, "-m", "hypermax.quick.metric_line", "val_loss", "--"]
    reader = subprocess.Popen(
        [*argv, sys.executable, "-c", cleaning], stdout=subprocess.PIPE, env=env
    )
    assert reader.stdout is not None
    ready = reader.stdout.readline().split()
    assert ready[0] == b"ready"
    for pid in (reader.pid, int(ready[1])):  # as the kill ladder does
        os.kill(pid, signal.SIGTERM)
    assert reader.stdout.read() == b"checkpoint saved\n"
    assert reader.wait(30) == 0  # the command's own end


def test_called_as_a_function_the_reader_leaves_the_signals_alone(tmp_path, monkeypatch):
    """Only as the trial's program does the reader leave the stopping signals to its command."""
    import signal

    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(tmp_path / "result.json"))
    before = [signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)]
    assert main(["val_loss", "--", sys.executable, "-c", "print('val_loss: 1')"]) == 0
    assert [signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)] == before


def test_what_the_command_printed_before_it_exited_is_all_read_however_slow_passing_it_on(
    tmp_path, monkeypatch
):
    """The reader took what came in the second after the command exited and went: a trial that
    printed a line of hundreds of MB and then its metric (the log slow to take it) had the
    metric missed. All the command wrote before it exited is read, with no grace at all."""
    import io
    import os
    import threading

    import psutil
    from fake_trials.helpers import wait_until

    import hypermax.quick.metric_line as metric_line

    monkeypatch.setattr(metric_line, "DRAIN_SECONDS", 0.0)  # nothing waited for past its exit
    result, done = tmp_path / "result.json", tmp_path / "done"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    size = 1 << 20
    command = (
        "import os, sys\n"
        f"sys.stdout.write('x' * {size} + '\\n')\n"
        "print('val_loss: 0.25', flush=True)\n"
        f"open({str(done)!r}, 'w').write(str(os.getpid()))\n"
    )
    total = size + len("\nval_loss: 0.25\n")
    held_back = 100_000  # less than the pipes on the way hold: the command can end
    read_end, write_end = os.pipe()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(os.fdopen(write_end, "wb")))
    taken: list[bytes] = []

    def the_log() -> None:  # takes the output slowly: the last part once the command is gone
        with os.fdopen(read_end, "rb") as log:
            got = 0
            while got < total - held_back:
                taken.append(log.read1(total - held_back - got))
                got += len(taken[-1])
            pid = int(wait_until(lambda: done.exists() and done.read_text(), 30, "the end"))
            wait_until(lambda: not psutil.pid_exists(pid), 30, "the command to be reaped")
            taken.append(log.read())

    log = threading.Thread(target=the_log)
    log.start()
    try:
        code = main(["val_loss", "--", sys.executable, "-c", command])
    finally:
        sys.stdout.close()
        log.join(30)
    assert code == 0
    assert json.loads(result.read_text()) == {"val_loss": 0.25}
    assert b"".join(taken).endswith(b"x\nval_loss: 0.25\n")


def test_a_line_of_hundreds_of_mb_is_read_as_it_comes_not_held_whole(tmp_path):
    """The reader held a line still open whole, and joined it again to read it: a trial that
    printed a 32 MiB line cost the reader three times that (a 300 MB one, 900 MB, counted in
    the trial's memory). A line past 1 MiB is read as it comes; its metric is still found."""
    import subprocess

    import hypermax

    command = (
        "import os\n"
        "line = b'x' * (32 << 20) + b' val_loss: 0.5 ' + b'y' * (1 << 20) + b'\\n'\n"
        "view = memoryview(line)\n"
        "while view:\n"
        "    view = view[os.write(1, view[: 1 << 20]) :]\n"
    )
    reader = (
        "import sys\n"
        "from hypermax.quick.metric_line import main\n"
        "code = main(['val_loss', '--', sys.executable, '-c', sys.argv[1]])\n"
        "# its own high-water mark: ru_maxrss carries that of the process that started it\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "print(code, int(status.split()[0]) // 1024, file=sys.stderr)\n"
    )
    result = tmp_path / "result.json"
    env = {
        **__import__("os").environ,
        "HYPERMAX_RESULT_FILE": str(result),
        "PYTHONPATH": str(Path(hypermax.__file__).parents[1]),
    }
    done = subprocess.run(
        [sys.executable, "-c", reader, command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
    )
    code, peak_mib = map(int, done.stderr.split()[-2:])
    assert code == 0
    assert json.loads(result.read_text()) == {"val_loss": 0.5}
    assert peak_mib < 48, peak_mib  # was over 100: the line, its parts, and its join


@pytest.mark.parametrize("at", range(0, 120, 7))
def test_a_long_line_read_in_parts_finds_its_metric_wherever_the_parts_end(
    tmp_path, monkeypatch, capfdbinary, at
):
    """A metric that a part of a long line ends inside, or a longer name whose end starts the
    next part (``xval_loss`` is not ``val_loss``), is read as in a line read whole."""
    import hypermax.quick.metric_line as metric_line

    monkeypatch.setattr(metric_line, "OPEN_LINE_BYTES", 7)  # read 7 bytes at a time
    monkeypatch.setattr(metric_line, "LONG_LINE_BYTES", 40)
    monkeypatch.setattr(metric_line, "LINE_TAIL_BYTES", 9)
    result = tmp_path / "result.json"
    monkeypatch.setenv("HYPERMAX_RESULT_FILE", str(result))
    cases = [
        ("a" * at + " val_loss: 0.123456 " + "b" * 150, {"val_loss": 0.123456}),
        ("a" * at + " val_loss: 1 " + "b" * at + " xval_loss: 9 " + "c" * 90, {"val_loss": 1.0}),
        ("a" * at + " val_loss: 1 " + "b" * 70 + " val_loss: 2 " + "c" * at, {"val_loss": 2.0}),
        ("a" * at + " val_loss: 0.5s " + "b" * 150, None),
    ]
    for line, expected in cases:
        printing = f"import sys; sys.stdout.write({line!r} + '\\n')"
        assert main(["val_loss", "--", sys.executable, "-c", printing]) == 0
        written = json.loads(result.read_text())
        result.unlink()
        if expected is not None:
            assert written == expected, line
        else:
            assert "; a line gave it as no number alone: " in written[ERROR_KEY], line
    capfdbinary.readouterr()
