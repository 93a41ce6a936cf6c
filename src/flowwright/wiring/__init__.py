"""Adapters between contexts, used only by the composition root.

Contexts never import each other; where one needs another's capability, it declares a port and
the composition root fills it with an adapter from this package.
"""
