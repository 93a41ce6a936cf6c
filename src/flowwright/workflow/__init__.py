"""Workflow: the DSL and its compiler, workflow versions, triggers and the durable engine."""
