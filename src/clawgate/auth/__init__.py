"""Credentials: stored auth profiles, secret references, key hygiene checks and the one resolution order."""
