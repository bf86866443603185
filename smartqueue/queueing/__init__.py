"""Queueing: issuing tickets, calling them, serving them, and the order they go in."""
