"""Integrations: steps that talk to the outside world (HTTP, email, Slack, SQL, knowledge)."""
