"""Appointment tests use the shared `agenda` fixture and `at` helper of tests/conftest.py."""

from tests.conftest import at

__all__ = ["at"]
