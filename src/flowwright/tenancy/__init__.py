"""Tenancy: tenants, users, memberships and roles, API keys, login."""
