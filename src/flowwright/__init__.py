"""Flowwright: describe an automation in plain language, review it, and run it durably."""

__version__ = "0.1.0"
__all__ = ["__version__"]
