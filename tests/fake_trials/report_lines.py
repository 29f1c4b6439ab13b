"""Prints report lines as other languages' JSON writers might, usable or not, then a result."""

lines = [
    '{"step": -1, "loss": 0.5}',  # before the first epoch: a step like any other
    '{"step": 2.0, "loss": 0.4}',  # a whole number printed as a float: step 2
    '{"step": "3", "loss": 0.3}',  # a string: refused, the first refusal is noted
    '{"step": 3.5, "loss": 0.3}',
    '{"step": 4, "loss": 0.2',  # cut short: not JSON
    "[4, 0.2]",  # not an object
    '{"step": 5, "loss": 0.1}',
]
for line in lines:
    print("HYPERMAX_REPORT " + line, flush=True)
print(0.1)
