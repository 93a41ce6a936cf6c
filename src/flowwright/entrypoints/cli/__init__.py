"""The command-line interface: a client of the HTTP API, plus offline commands."""
