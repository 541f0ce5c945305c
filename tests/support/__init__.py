"""Helpers shared by tests: real broker clients, no test doubles."""
