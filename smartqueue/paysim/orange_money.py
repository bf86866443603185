"""(being written) The simulator's orange_money side."""

from flask import Blueprint

bp = Blueprint("orange_money", __name__, url_prefix="/orange-money")
