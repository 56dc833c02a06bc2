"""Bulk writing on PostgreSQL: COPY in batches on a writer thread."""

import psycopg
import pytest
from sqlalchemy import func, select

from portal.directory import writing
from portal.directory.models import Building
from portal.extensions import db

COLUMNS = ["code", "name", "kind"]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(writing, "COPY_ROWS", 2)


def _buildings() -> int:
    return db.session.scalar(select(func.count()).select_from(Building))


def test_every_row_arrives_across_batches(app_ctx, small_batches):
    rows = ((f"B{n}", f"School {n}", "school") for n in range(7))
    writing.bulk_insert(Building.__table__, COLUMNS, rows)
    assert _buildings() == 7


def test_a_failure_while_making_rows_stops_the_copy(app_ctx, small_batches):
    def rows():
        for n in range(5):
            yield (f"B{n}", f"School {n}", "school")
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        writing.bulk_insert(Building.__table__, COLUMNS, rows())
    db.session.rollback()
    assert _buildings() == 0


def test_a_database_error_in_the_writer_is_raised_here(app_ctx, small_batches):
    rows = [("B1", "One", "school"), ("B2", "Two", "school"), ("B1", "Again", "school")]
    rows += [(f"C{n}", "More", "school") for n in range(9)]
    with pytest.raises(psycopg.errors.UniqueViolation):
        writing.bulk_insert(Building.__table__, COLUMNS, iter(rows))
    db.session.rollback()
    assert _buildings() == 0
