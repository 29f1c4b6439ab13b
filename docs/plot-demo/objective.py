"""The demo search behind docs/plot-loss.png: a known landscape, some failures and kills."""

import math
import time


def train(params, reporter):
    lr, layers, opt = params["learning_rate"], params["layers"], params["optimizer"]
    if params["dropout"] > 0.48:
        raise ValueError("dropout too high for this demo")
    if layers == 6:
        time.sleep(30)  # the watchdog's time limit kills these
    base = (math.log10(lr) + 2.5) ** 2 / 4 + {"adam": 0, "sgd": 0.4, "rmsprop": 0.15}[opt]
    base += 0.05 * abs(layers - 3) + params["dropout"] * 0.3
    for step in range(1, 6):
        reporter(step, loss=base + 1.0 / step)
    return base + 0.2
