"""Cluster settings Dask cannot use are the user's mistake, said in one line at once: an address
without a port, TLS files that hold no certificate. Dask's half-made client left behind used to
hold the interpreter's exit for twice the connect timeout and print a traceback."""

from __future__ import annotations

import importlib.util
import json
import socket

import pytest

pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")

from conftest import quadratic, run_cli, run_cli_here

from hypermax.cli import main

WAIT = 20  # the connect timeout: Dask's leftover client waited twice this at exit


def spec(cluster: dict) -> dict:
    return {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": quadratic(),
        "search": {"iterations": 1},
        "cluster": {"lost_scheduler_wait": WAIT, **cluster},
    }


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("nothing", 'needs a port, as in "tcp://nothing:8786", got "nothing"'),
        ("tls://10.0.0.7", 'needs a port, as in "tls://10.0.0.7:8786", got "tls://10.0.0.7"'),
    ],
)
def test_an_address_without_a_port_is_refused_by_validate(
    tmp_path, monkeypatch, capsys, address, problem
):
    (tmp_path / "search.json").write_text(json.dumps(spec({"scheduler": address})))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.json"]) == 2
    assert capsys.readouterr().err == f"search.json: cluster.scheduler: {problem}\n"


def test_a_ucx_address_dask_has_no_support_for_is_refused_naming_the_address(tmp_path):
    """Dask without its UCX support cannot make a ucx:// connection (a TypeError): that is the
    address's problem, not TLS files the spec lacks."""
    if importlib.util.find_spec("distributed_ucxx") is not None:
        pytest.skip("Dask has its UCX support here")
    (tmp_path / "search.json").write_text(json.dumps(spec({"scheduler": "ucx://127.0.0.1:8786"})))
    done = run_cli_here("run", "search.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("search.json: cluster.scheduler: Dask cannot use it: TypeError: ")
    assert len(done.stderr.splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    ("security", "error"),
    [
        (
            ["tls_ca_file"],
            "it makes a TLS context only from both a tls_ca_file and a tls_client_cert (with its "
            "tls_client_key), here or in Dask's configuration; Dask says: TypeError: TLS expects "
            "a `ssl_context` argument",
        ),
        (["tls_ca_file", "tls_client_cert"], "SSLError: "),
    ],
    ids=["ca-only", "not-a-certificate"],
)
def test_tls_files_dask_cannot_use_end_the_run_at_once_in_one_line(tmp_path, security, error):
    # the spec in a folder of its own: the line names it by its path, as every spec error does
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("not a certificate\n")
    doc = spec(
        {"scheduler": "tls://127.0.0.1:8786", "security": dict.fromkeys(security, "notes.txt")}
    )
    (tmp_path / "sub" / "search.json").write_text(json.dumps(doc))
    done = run_cli("run", "sub/search.json", "--no-ui", cwd=tmp_path, timeout=WAIT)
    assert done.returncode == 2, done.stderr
    prefix = "sub/search.json: cluster.security: Dask cannot use it: "
    assert done.stderr.startswith(prefix + error), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr  # no traceback at exit


@pytest.mark.parametrize(
    ("variable", "said"),
    [
        ("DASK_DISTRIBUTED__COMM__TIMEOUTS__TCP", "KeyError: 'Invalid time unit: abc."),
        ("DASK_DISTRIBUTED__CLIENT__HEARTBEAT", "KeyError: 'Invalid time unit: abc."),
    ],
    ids=["tcp-timeout", "heartbeat"],
)
def test_a_dask_setting_dask_cannot_read_ends_the_run_at_once_in_one_line(tmp_path, variable, said):
    """A ``DASK_*`` variable Dask cannot read makes it refuse to connect at once: that is said
    as such, not as a scheduler that did not answer within the wait."""
    listening = socket.create_server(("127.0.0.1", 0))  # a port that accepts, as a scheduler's
    with listening:
        address = f"tcp://127.0.0.1:{listening.getsockname()[1]}"
        (tmp_path / "search.json").write_text(json.dumps(spec({"scheduler": address})))
        done = run_cli(
            "run", "search.json", "--no-ui", cwd=tmp_path, timeout=WAIT, env={variable: "abc"}
        )
    assert done.returncode == 2, done.stderr
    prefix = f"search.json: cluster.scheduler: Dask cannot connect to {address}: {said}"
    assert done.stderr.startswith(prefix), done.stderr
    assert done.stderr.endswith(
        "(is Dask's own configuration right? DASK_* environment variables, ~/.config/dask)\n"
    )
    assert len(done.stderr.splitlines()) == 1, done.stderr  # nothing of Dask's at exit
