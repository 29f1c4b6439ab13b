"""Objective of the mlp template: a multi-layer perceptron on scikit-learn's breast cancer data
(569 samples, standardised), scored by 3-fold cross-validated ROC AUC. Put your own data and score
in place of these."""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: loaded once: with ``preload`` (the default) the data is read and the libraries imported
#: once per search, and every trial is forked from there
DATA = load_breast_cancer(return_X_y=True)


def train(params: dict[str, Any]) -> dict[str, float]:
    """Fit and score one configuration; the loss is 1 - AUC."""
    x, y = DATA
    layers = tuple(params.pop("hidden_layer_sizes"))
    mlp = MLPClassifier(hidden_layer_sizes=layers, **params, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is part of the budget
        auc = float(
            cross_val_score(
                make_pipeline(StandardScaler(), mlp), x, y, cv=3, scoring="roc_auc"
            ).mean()
        )
    return {"loss": 1.0 - auc, "auc": auc}
