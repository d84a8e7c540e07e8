"""The bodies of the CLI subcommands; `cli.py` parses arguments and dispatches here."""
