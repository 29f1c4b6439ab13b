"""A library's modules a search does not use are imported on first use: optuna's progress bar
(tqdm and asyncio) for Study.optimize only."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import quadratic
from test_startup import imported_by

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {"x": {"type": "number", "min": 0, "max": 1}},
    },
    "function": quadratic(),
    "search": {"method": "tpe"},
}


def test_a_tpe_search_imports_optuna_without_its_progress_bar(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    modules = imported_by("sample", "search.json", "-n", "2", cwd=tmp_path)
    assert {"optuna.samplers", "numpy"} <= modules  # it did sample with optuna's TPE...
    assert not modules & {"tqdm", "tqdm.auto", "asyncio"}  # ...and read no progress bar


def test_optunas_progress_bar_works_once_used():
    script = (
        "import sys\n"
        "import hypermax.optimizers\n"
        "import optuna\n"
        "optuna.logging.set_verbosity(optuna.logging.WARNING)\n"
        "assert 'tqdm' not in sys.modules\n"
        "study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3, show_progress_bar=True)\n"
        "assert len(study.trials) == 3 and 'tqdm.auto' in sys.modules\n"
        "from optuna import progress_bar\n"
        "assert progress_bar._ProgressBar is optuna.progress_bar._ProgressBar\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "3/3" in done.stderr  # the bar was drawn
