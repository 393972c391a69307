"""Shared foundations: database helpers, audit, sanitizing, errors, permissions, uploads."""
