"""Read-only JSON API v1."""
