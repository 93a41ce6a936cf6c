"""Runs: the durable execution model (statuses, step instances, scheduling decisions)."""
