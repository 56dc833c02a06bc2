"""Keeping each person's contact points in step with the export.

Only people who are new or whose row changed are looked at, and only
contact points whose raw value changed are checked again. A new person's
contact points are checked as they are streamed into the database.
"""

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from portal.directory.checks import check_contact
from portal.directory.models import ContactPoint
from portal.directory.phone_checks import Answers
from portal.directory.writing import bulk_insert, chunks, deactivate, fetch, update_rows

# (kind, raw, priority) of each contact point a person should have.
Points = list[tuple[str, str, int]]
_COLUMNS = ["kind", "raw", "address", "problem", "priority"]


def _checked(
    owner_id: int, kind: str, raw: str, priority: int, phones: Answers
) -> tuple:
    found = phones.get(raw) if kind != "email" else None
    address, problem = found or check_contact(kind, raw)
    return (owner_id, kind, raw, address, problem, priority)


def _new_rows(owners: Iterable[tuple[int, Points]], phones: Answers) -> Iterator[tuple]:
    for owner_id, points in owners:
        for kind, raw, priority in points:
            if raw:
                yield _checked(owner_id, kind, raw, priority, phones)


def _existing(owner_column: str, owner_ids: list[int]) -> dict:
    table = ContactPoint.__table__
    found = {}
    for batch in chunks(owner_ids, 1000):
        rows = fetch(
            select(
                table.c.id,
                table.c[owner_column],
                table.c.kind,
                table.c.raw,
                table.c.active,
            ).where(table.c[owner_column].in_(batch))
        )
        for cp_id, owner_id, kind, raw, active in rows:
            found[(owner_id, kind)] = (cp_id, raw, active)
    return found


def sync(
    owner_column: str,
    new: Iterable[tuple[int, Points]],
    changed: dict[int, Points],
    phones: Answers,
) -> set[int]:
    """Insert, update or deactivate contact points; returns ids to re-verify.

    `new` yields (owner id, points) of people who have none yet; `changed`
    maps the id of a person whose row changed to their points. The returned
    ids are contact points that now hold a different value (or none): their
    open problems are settled by this import. `phones` gives the answers of
    numbers checked in the helper process (phone_checks.py); a number it does
    not know is checked here.
    """
    table = ContactPoint.__table__
    bulk_insert(table, [owner_column, *_COLUMNS], _new_rows(new, phones))

    existing = _existing(owner_column, sorted(changed))
    inserts, updates, gone = [], [], set()
    for owner_id, points in changed.items():
        for kind, raw, priority in points:
            found = existing.pop((owner_id, kind), None)
            if found is None:
                if raw:
                    inserts.append(_checked(owner_id, kind, raw, priority, phones))
            elif not raw:
                if found[2]:
                    gone.add(found[0])
            elif found[1] != raw or not found[2]:
                row = _checked(owner_id, kind, raw, priority, phones)
                values = dict(zip(_COLUMNS, row[1:], strict=True))
                updates.append({"_id": found[0], "active": True, **values})
    gone.update(cp_id for cp_id, _raw, active in existing.values() if active)

    bulk_insert(table, [owner_column, *_COLUMNS], inserts)
    update_rows(table, updates)
    deactivate(table, list(gone))
    return gone | {row["_id"] for row in updates}
