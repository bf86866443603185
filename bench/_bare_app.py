"""The baseline of bench/http_load.py: a bare Flask route returning a constant, served by
gunicorn with the same settings as the app (`gunicorn ... --pythonpath bench _bare_app:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant():
    return "ok"
