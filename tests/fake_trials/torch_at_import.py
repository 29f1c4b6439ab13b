"""An objective that imports torch and, if ``TORCH_OP_AT_IMPORT`` is set, runs a parallel
operation when imported (as a module that builds a model at import time does). Each import
adds a line to the file named by ``TORCH_IMPORTS``."""

import os

import torch

with open(os.environ["TORCH_IMPORTS"], "a") as imports:
    imports.write(f"{os.getpid()}\n")
if os.environ.get("TORCH_OP_AT_IMPORT"):
    torch.ones(500, 500) @ torch.ones(500, 500)


def f(params):
    product = torch.ones(500, 500) @ torch.ones(500, 500)
    return float(product[0, 0]) * params["x"]
