"""Keeping each person's contact points in step with the export.

Only people who are new or whose row changed are looked at, and only
contact points whose raw value changed are checked again.
"""

from sqlalchemy import bindparam, select

from portal.directory.checks import check_contact
from portal.directory.models import ContactPoint
from portal.directory.writing import bulk_insert, chunks
from portal.extensions import db


def _row(owner_column: str, owner_id: int, kind: str, raw: str, priority: int):
    address, problem = check_contact(kind, raw)
    return {
        owner_column: owner_id,
        "kind": kind,
        "raw": raw,
        "address": address,
        "problem": problem,
        "priority": priority,
        "active": True,
    }


def _existing(owner_column: str, owner_ids: list[int]) -> dict:
    table = ContactPoint.__table__
    found = {}
    for batch in chunks(owner_ids, 1000):
        rows = db.session.execute(
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


def sync(owner_column: str, desired: dict[int, list], new_owners: set[int]) -> set[int]:
    """Insert, update or deactivate contact points; returns ids to re-verify.

    `desired` maps an owner id to [(kind, raw, priority)]. The returned ids
    are contact points that now hold a different value (or none): their
    open problems are settled by this import.
    """
    existing = _existing(owner_column, [o for o in desired if o not in new_owners])
    inserts, updates, settled = [], [], set()
    for owner_id, points in desired.items():
        for kind, raw, priority in points:
            found = existing.pop((owner_id, kind), None)
            if found is None:
                if raw:
                    inserts.append(_row(owner_column, owner_id, kind, raw, priority))
            elif not raw:
                if found[2]:
                    updates.append({"_id": found[0], "active": False})
                    settled.add(found[0])
            elif found[1] != raw or not found[2]:
                row = _row(owner_column, owner_id, kind, raw, priority)
                updates.append({"_id": found[0]} | row)
                settled.add(found[0])
    for cp_id, _raw, active in existing.values():
        if active:
            updates.append({"_id": cp_id, "active": False})
            settled.add(cp_id)

    _write(inserts, updates)
    return settled


def _write(inserts: list[dict], updates: list[dict]) -> None:
    table = ContactPoint.__table__
    bulk_insert(table, inserts)
    by_shape: dict[tuple, list[dict]] = {}
    for row in updates:
        by_shape.setdefault(tuple(row), []).append(row)
    for shape, rows in by_shape.items():
        columns = [c for c in shape if c != "_id"]
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns})
        )
        for batch in chunks(rows):
            db.session.execute(statement, batch)
