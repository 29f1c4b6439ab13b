"""``hypermax quick``: tune a command from ranges on the command line, without a spec file."""
