"""Counting the SQL statements a block of code sends (N+1 checks)."""

from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db


@contextmanager
def counted_queries():
    """Yield a list that fills with each statement run inside the block."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def page_statements(client, path: str) -> int:
    """How many statements one view of a page sends (it must answer 200)."""
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)
