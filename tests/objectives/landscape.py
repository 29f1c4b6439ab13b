"""A search with something for every chart: a log-scaled param that matters, an enum, an integer,
reports at each step, a param value that fails the trial and one that hangs until killed."""

import math
import time


def train(params, reporter):
    lr, opt, depth = params["lr"], params["opt"], params["depth"]
    if lr < 3e-5:
        raise ValueError("too small a learning rate")
    if depth == 9 and opt == "sgd":
        time.sleep(60)  # killed by auto_kill_max_time
    loss = (math.log10(lr) + 2) ** 2 + {"adam": 0.0, "sgd": 0.5}[opt] + 0.02 * depth
    for step in range(1, 4):
        reporter(step, loss=loss + 1 / step)
    return loss
