"""(being written by N4: a signed-in customer's socket, /ws/me, and the bell's channel)"""

from flask import Blueprint

bp = Blueprint("inbox_socket", __name__)
