"""The objective behind search.example.json: a gradient-boosted classifier on a dataset that ships
with scikit-learn (breast cancer, 569 samples), scored by 3-fold cross-validated ROC AUC."""

from __future__ import annotations

import time
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

#: loaded once: with ``preload`` (the default) the data is read and the libraries imported
#: once per search, and every trial is forked from there
DATA = load_breast_cancer(return_X_y=True)


def train(params: dict[str, Any], reporter: Any = None) -> dict[str, Any]:
    """Fit and score one configuration; report the AUC of each fold as it finishes."""
    started = time.monotonic()
    x, y = DATA
    tree = params["tree"]
    model = HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_leaf_nodes=tree.get("max_leaf_nodes"),
        max_depth=tree.get("max_depth"),
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        random_state=0,
    )
    scores = []
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for step, (train_idx, test_idx) in enumerate(folds.split(x, y)):
        model.fit(x[train_idx], y[train_idx])
        scores.append(roc_auc_score(y[test_idx], model.predict_proba(x[test_idx])[:, 1]))
        if reporter is not None:
            reporter(step, auc=sum(scores) / len(scores))
    return {"auc": sum(scores) / len(scores), "time": time.monotonic() - started}
