"""Reporters that show a search to a person: the urwid dashboard and plain console lines."""
