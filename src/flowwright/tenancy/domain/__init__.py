"""Tenancy domain: pure model of tenants, users, memberships, roles and API keys."""
