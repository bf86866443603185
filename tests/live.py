"""Listening to the live channels in tests."""

import time


def published_within(messages, seconds: float) -> list[str]:
    """What arrives on a broker subscription within `seconds` (it yields None each quiet
    second, so a quiet channel still ends the wait)."""
    found, deadline = [], time.monotonic() + seconds
    for message in messages:
        if message is not None:
            found.append(message)
        if time.monotonic() >= deadline:
            return found
    return found
