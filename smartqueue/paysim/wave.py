"""(being written) The simulator's wave side."""

from flask import Blueprint

bp = Blueprint("wave", __name__, url_prefix="/wave")
