"""The baselines of bench/http_load.py, served by gunicorn with the same settings as the
app (`gunicorn ... --pythonpath bench _bare_app:app`):

  GET /        a bare Flask route returning a constant (the issue's baseline);
  POST /write  (diagnostic) the floor of any route that records something: one
               INSERT ... RETURNING and its COMMIT on the app's PostgreSQL, through
               SQLAlchemy Core (no ORM, no session, no form, no template).
"""

import os

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)
_url = os.environ.get("DATABASE_URL", "")
engine = (
    create_engine(_url.replace("postgresql://", "postgresql+psycopg://", 1))
    if _url
    else None
)
if engine is not None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_write (id serial PRIMARY KEY, at timestamptz)"
            )
        )


@app.get("/")
def constant():
    return "ok"


@app.post("/write")
def write():
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO bench_write (at) VALUES (now()) RETURNING id")
        ).scalar()
    return str(new_id)
