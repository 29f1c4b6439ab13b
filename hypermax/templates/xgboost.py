"""Objective of the xgboost template: XGBoost on scikit-learn's breast cancer data (569 samples),
scored by 3-fold cross-validated ROC AUC. Put your own data and score in place of these."""

from __future__ import annotations

from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from xgboost import XGBClassifier

#: loaded once: with ``preload`` (the default) the data is read and the libraries imported
#: once per search, and every trial is forked from there
DATA = load_breast_cancer(return_X_y=True)


def train(params: dict[str, Any]) -> dict[str, float]:
    """Fit and score one configuration; the loss is 1 - AUC."""
    x, y = DATA
    model = XGBClassifier(**params, n_jobs=1, random_state=0)
    auc = float(cross_val_score(model, x, y, cv=3, scoring="roc_auc").mean())
    return {"loss": 1.0 - auc, "auc": auc}
