"""An objective module that fits a scikit-learn HistGradientBoostingRegressor when imported (a
parallel OpenMP region, as a module that trains a baseline at import time runs), and again in
each trial. Each import adds a line to the file named by ``OPENMP_IMPORTS``."""

import os

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

with open(os.environ["OPENMP_IMPORTS"], "a") as imports:
    imports.write(f"{os.getpid()}\n")
X, Y = np.random.default_rng(0).random((2000, 5)), np.random.default_rng(1).random(2000)
HistGradientBoostingRegressor(max_iter=5).fit(X, Y)


def f(params):
    model = HistGradientBoostingRegressor(max_iter=5).fit(X, Y)
    return float(model.predict(X[:1])[0]) * params["x"]
