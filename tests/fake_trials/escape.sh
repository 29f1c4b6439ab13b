#!/bin/sh
# Starts a process the watchdog cannot see, which holds the trial's stdout: a session of its
# own, an environment without hypermax's token (the test's marker alone), its parent gone at
# once; then prints its loss.
env -i "HYPERMAX_TEST_MARKER=$HYPERMAX_TEST_MARKER" setsid sleep 300 &
echo 0.5
