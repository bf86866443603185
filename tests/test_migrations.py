"""The migrations build the models' schema, on both databases, and undo it: on an empty
database, upgrade to head, `flask db check` (no model change without its migration),
downgrade to base, upgrade again."""

import os

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from smartqueue import create_app
from smartqueue.extensions import db


@pytest.fixture
def scratch_url(backend, tmp_path, request):
    """An empty database of `backend`, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = "smartqueue_migrations" + os.environ.get("PYTEST_XDIST_WORKER", "")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _check() -> None:
    """`flask db check`: flask_migrate reports a difference by exiting."""
    try:
        check()
    except SystemExit:
        pytest.fail("the models differ from the migrations: flask db migrate")


@pytest.mark.backends("sqlite", "postgresql")
def test_migrations_upgrade_match_the_models_and_downgrade(scratch_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "TESTING": True})
    with app.app_context():
        try:
            upgrade()
            assert _tables() == set(db.metadata.tables)
            _check()
            downgrade(revision="base")
            assert _tables() == set()
            upgrade()  # the downgrades left nothing in the way
            assert _tables() == set(db.metadata.tables)
        finally:
            db.session.remove()
            db.engine.dispose()
