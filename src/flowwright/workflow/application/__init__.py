"""Use cases of the workflow context: versions, runs, approvals, and the worker."""
