"""The optimizer contract against the example plugin: ``pytest examples/test_local_search.py``."""

from hypermax.testing import OptimizerContract


class TestLocalSearch(OptimizerContract):
    method = "local_search:LocalSearch"
    options = {"startup": 5}
