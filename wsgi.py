"""WSGI entry point: gunicorn wsgi:app."""

from smartqueue import create_app

app = create_app()
