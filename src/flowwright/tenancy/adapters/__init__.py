"""Tenancy adapters: tables, repositories, password hashing and tokens."""
