"""Shared fixtures: a real PostgreSQL database and Redis per test process.

Each pytest process (each xdist worker) gets its own PostgreSQL database and
its own Redis database number, so parallel runs never see each other's rows
or queues. Tables are emptied after every test.
"""

import os
import uuid
from contextlib import contextmanager
from dataclasses import fields
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from itsdangerous import URLSafeTimedSerializer
from redis import Redis

from portal import create_app
from portal.config import Config
from portal.extensions import db
from tests import factories


def _pin_settings_to_defaults() -> None:
    """Keep a developer's `.env` (written by `make run`) out of the tests.

    Scripts and entry points under test call `load_dotenv()`, which never
    overrides a variable that is already set; so every portal setting not
    set in the shell is set to its default before any test runs.
    """
    for setting in fields(Config):
        if setting.name != "extra":
            os.environ.setdefault(setting.name, str(getattr(Config(), setting.name)))


_pin_settings_to_defaults()

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _sqlalchemy_pg_url(name: str) -> str:
    parts = urlsplit(PG_ADMIN_URL)
    return urlunsplit(("postgresql+psycopg", parts.netloc, f"/{name}", "", ""))


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test process, dropped at the end."""
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A throwaway database need not wait for the disk on every commit.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    yield _sqlalchemy_pg_url(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database number of this process's own, emptied first.

    xdist workers gw0, gw1, ... take databases 1, 2, ...; a run without
    xdist takes 15. Numbers derived from process ids could collide, and
    then one process's workers took the other's jobs.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    number = 1 + int(worker.lstrip("gw")) % 14 if worker else 15
    url = f"{REDIS_BASE_URL}/{number}"
    Redis.from_url(url).flushdb()
    return url


def make_config(database_url: str, redis_url: str, **overrides) -> Config:
    values = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": "http://portal.test",
        "OIDC_ISSUER": "http://127.0.0.1:1",
        "OIDC_CLIENT_ID": "portal",
        "OIDC_CLIENT_SECRET": "portal-secret",
        "SERVER_NAME": None,
    }
    values.update(overrides)
    return Config.from_env(values)


@contextmanager
def serving_app(database_url, redis_url, tmp_path_factory, **overrides):
    """A portal app with its tables created; its connections closed after."""
    application = create_app(
        make_config(
            database_url,
            redis_url,
            AUDIO_DIR=str(tmp_path_factory.mktemp("audio")),
            **overrides,
        )
    )
    with application.app_context():
        db.create_all()
    try:
        yield application
    finally:
        # Close pooled connections before the database is dropped; left to
        # the garbage collector they raise ResourceWarning, an error here.
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def app(pg_database, redis_url, tmp_path_factory):
    """The portal on this process's PostgreSQL database."""
    with serving_app(pg_database, redis_url, tmp_path_factory) as application:
        yield application


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        empty_all_tables()


def empty_all_tables() -> None:
    """Delete every row and restart the id sequences.

    DELETE with triggers switched off (`session_replication_role`, which
    also skips the audit table's append-only trigger and foreign-key
    checks) is about eight times faster than TRUNCATE on these small
    tables, and TRUNCATE was the largest single cost of the suite.
    """
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(db.text("SET session_replication_role = replica"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if postgres:
        db.session.execute(db.text("SET session_replication_role = DEFAULT"))
        db.session.execute(
            db.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
            )
        )
    db.session.commit()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client) -> str:
    """A valid CSRF token for this test client's session."""
    raw = "test-csrf-raw-token"
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw
    return URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def csrf(client):
    """Headers that carry a valid CSRF token for `client`."""
    return {"X-CSRFToken": csrf_token(client)}


@pytest.fixture
def login(client, app):
    """Sign a user in on `client` without the OpenID round trip."""

    def sign_in(user, test_client=None):
        test_client = test_client or client
        with app.app_context():
            from portal.accounts.models import UserSession

            sid = uuid.uuid4().hex
            db.session.add(UserSession(id=sid, user_id=user.id))
            db.session.commit()
        with test_client.session_transaction() as sess:
            sess["sid"] = sid
            sess.permanent = True
        return test_client

    return sign_in


@pytest.fixture
def make(app_ctx):
    """Factories bound to the app context (see tests/factories.py)."""
    return factories
