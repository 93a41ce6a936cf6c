"""Routers of the HTTP API, one per resource."""
