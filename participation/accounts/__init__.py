"""Governments, their units, accounts and roles."""
