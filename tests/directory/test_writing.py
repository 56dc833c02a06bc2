"""Bulk writing: batches handed to the database on a writer thread."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.directory import writing
from portal.directory.models import Guardian
from portal.extensions import db
from tests.conftest import make_config

COLUMNS = ["guardian_number", "first_name", "last_name"]


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, tmp_path, redis_url, monkeypatch):
    """An app context on PostgreSQL or on an SQLite file; batches of two."""
    monkeypatch.setattr(writing, "WRITE_ROWS", 2)
    if request.param == "postgresql":
        request.getfixturevalue("app_ctx")
        yield
        return
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    with create_app(make_config(url, redis_url)).app_context():
        db.create_all()
        yield
        db.session.rollback()
        db.engine.dispose()


def _guardians() -> int:
    return db.session.scalar(select(func.count()).select_from(Guardian))


def test_every_row_arrives_across_batches(database):
    rows = ((f"G{n}", "Ana", f"Reyes {n}") for n in range(7))
    writing.bulk_insert(Guardian.__table__, COLUMNS, rows)
    assert _guardians() == 7


def test_a_failure_while_making_rows_stops_the_writes(database):
    def rows():
        for n in range(5):
            yield (f"G{n}", "Ana", f"Reyes {n}")
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        writing.bulk_insert(Guardian.__table__, COLUMNS, rows())
    db.session.rollback()
    assert _guardians() == 0


def test_a_database_error_in_the_writer_is_raised_here(database):
    rows = [("G1", "Ana", "One"), ("G2", "Bo", "Two"), ("G1", "Cy", "Again")]
    rows += [(f"H{n}", "Di", "More") for n in range(9)]
    with pytest.raises(Exception) as raised:
        writing.bulk_insert(Guardian.__table__, COLUMNS, iter(rows))
    # The driver's own error: psycopg's UniqueViolation, sqlite3's
    # IntegrityError (the raw connection is below SQLAlchemy).
    assert "unique" in str(raised.value).lower()
    assert not isinstance(raised.value, IntegrityError)
    db.session.rollback()
    assert _guardians() == 0
