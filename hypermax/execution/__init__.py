"""Running trials: the runner seam, the local process runner and the watchdog.

Nothing here imports anything heavy: the child bootstrap lives in this package.
"""
