"""Payments on the web: the providers' callbacks (hooks.py), and the payer's pages:
choosing how to pay, coming back from the checkout, "my payments" and receipts. One
blueprint; each module adds its routes to it."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

# Imported for their routes, after bp exists.
from . import hooks, pages, receipts  # noqa: E402, F401

__all__ = ["bp"]
