"""Packaging for hypermax."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "hypermax" / "__init__.py").read_text()
).group(1)

EXTRAS = {
    "examples": ["scikit-learn>=1.3"],
    "atpe": ["lightgbm>=4.0", "scikit-learn>=1.3"],
    # torch: the newest release this range admits is the CPU build this project is tested with
    "gp": ["torch>=2.1,<=2.13.0", "greenlet>=3.0"],
    "ngopt": ["nevergrad>=1.0"],
    "plots": ["matplotlib>=3.7", "scikit-learn>=1.3"],
    "notebook": ["pandas>=2.0", "matplotlib>=3.7", "scikit-learn>=1.3"],
    "dask": ["dask[distributed]>=2024.1"],
    "test": [
        "pytest>=8",
        "pytest-timeout>=2.2",
        "pytest-xdist>=3.5",
        "ruff>=0.6",
        "mypy>=1.10",
        "types-PyYAML",
        "types-psutil",
        "scikit-learn>=1.3",
        "lightgbm>=4.0",
        "matplotlib>=3.7",
        "pandas>=2.0",
        "dask[distributed]>=2024.1",
        "nevergrad>=1.0",
    ],
}
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name="hypermax",
    version=VERSION,
    description="Hyperparameter search for any program: TPE, watchdog-guarded trials, resume.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["hypermax", "hypermax.*"]),
    package_data={"hypermax": ["schema.json", "templates/*.json", "templates/*.py"]},
    install_requires=[
        "hyperopt>=0.2.7",
        "optuna>=5.0",
        "cmaes>=0.11",
        "jsonschema>=4.18",
        "psutil>=5.9",
        "pyyaml>=6.0",
        "cloudpickle>=2.2",
        "urwid>=2.6",
        "wcwidth>=0.2",  # the terminal columns a name takes: urwid's measure, used by show too
        "numpy>=1.24",
        "scipy>=1.10",
    ],
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["hypermax=hypermax.entry:run"]},
)
