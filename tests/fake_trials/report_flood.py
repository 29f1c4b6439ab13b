"""Prints 2,000 ``HYPERMAX_REPORT`` lines as fast as it can, then its loss."""

for step in range(1, 2001):
    print(f'HYPERMAX_REPORT {{"step": {step}, "loss": {1.0 / step}}}')
print(0.5)
