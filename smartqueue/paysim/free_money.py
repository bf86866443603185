"""(being written) The simulator's free_money side."""

from flask import Blueprint

bp = Blueprint("free_money", __name__, url_prefix="/free-money")
