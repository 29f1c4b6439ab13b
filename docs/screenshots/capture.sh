#!/usr/bin/env bash
# Captures docs/dashboard-80x24.txt and docs/dashboard-160x50.txt: the demo search in this folder
# runs in a tmux window of each size until 26 trials have finished; then the screen is saved and
# the search is quit. Needs tmux and hypermax on the PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cp "$here/demo.json" "$here/demo.py" "$work/"
socket="hypermax-screenshots-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

for size in 80x24 160x50; do
  journal="$work/$size/demo/trials.jsonl"
  tmux -L "$socket" new-session -d -s "$size" -x "${size%x*}" -y "${size#*x}" -c "$work" \
    "hypermax demo.json --results $size"
  until [ "$(cat "$journal" 2>/dev/null | grep -c '"trial_finished"' || true)" -ge 26 ]; do
    sleep 0.2
  done
  sleep 1.5  # the next live update and redraw
  tmux -L "$socket" capture-pane -p -t "$size" | sed 's/[[:space:]]*$//' >"$here/../dashboard-$size.txt"
  tmux -L "$socket" send-keys -t "$size" q y
  while tmux -L "$socket" has-session -t "$size" 2>/dev/null; do sleep 0.2; done
done
echo "wrote $here/../dashboard-80x24.txt and $here/../dashboard-160x50.txt"
