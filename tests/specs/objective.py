"""Trial function of the spec fixtures (validation only looks it up, never runs it)."""


def train(params: dict) -> float:
    return float(params["x"])
