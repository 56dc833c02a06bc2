"""Writing checked records to the database in bulk, changing only what changed.

Every row carries a hash of its imported values; a row whose hash matches
is left alone. People missing from the export are marked inactive. All of
it runs in the caller's transaction: the importer commits or rolls back.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from portal.directory.checks import check_contact
from portal.directory.models import GuardianLink
from portal.extensions import db

CHUNK = 5000


def row_hash(values: Iterable) -> str:
    joined = "\x1f".join(map(str, values))
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class KindCounts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    active_before: int = 0

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }


@dataclass
class Plan:
    """What one kind's import will do, by id."""

    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    changed_ids: set[int] = field(default_factory=set)
    counts: KindCounts = field(default_factory=KindCounts)


def plan_rows(model, key: str, records: dict, to_row: Callable) -> Plan:
    """Compare records with the table by key and row hash."""
    table = model.__table__
    existing = db.session.execute(
        select(table.c.id, table.c[key], table.c.row_hash, table.c.active)
    ).all()
    plan = Plan()
    by_key = {}
    for row_id, number, old_hash, active in existing:
        by_key[number] = (row_id, old_hash, active)
        plan.counts.active_before += bool(active)

    for number, values in records.items():
        new_hash = row_hash(values)
        found = by_key.pop(number, None)
        if found is None:
            plan.inserts.append({key: number, "row_hash": new_hash, **to_row(values)})
            plan.counts.added += 1
        elif found[1] != new_hash or not found[2]:
            plan.updates.append(
                {"_id": found[0], "row_hash": new_hash, "active": True} | to_row(values)
            )
            plan.changed_ids.add(found[0])
            plan.counts.changed += 1
        else:
            plan.counts.unchanged += 1
    plan.removed_ids = [row_id for row_id, _, active in by_key.values() if active]
    plan.counts.removed = len(plan.removed_ids)
    return plan


def bulk_insert(table, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany batches elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and _plain(rows[0]):
        _sqlite_insert(connection, table, rows)
        return
    if connection.dialect.name != "postgresql":
        for batch in chunks(rows):
            db.session.execute(table.insert(), batch)
        return
    columns = list(rows[0])
    defaults = _scalar_defaults(table, columns)
    names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    raw = connection.connection.driver_connection
    fixed = list(defaults.values())
    with (
        raw.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns] + fixed)


PLAIN_TYPES = (str, int, float, bool, type(None))


def _plain(row: dict) -> bool:
    return all(isinstance(v, PLAIN_TYPES) for v in row.values())


def _sqlite_insert(connection, table, rows: list[dict]) -> None:
    """executemany on the driver's cursor: no per-row parameter processing."""
    columns = list(rows[0])
    defaults = _scalar_defaults(table, columns)
    names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    marks = ", ".join("?" * (len(columns) + len(defaults)))
    fixed = tuple(defaults.values())
    cursor = connection.connection.driver_connection.cursor()
    # Table and column names come from our own metadata, never from input.
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
    for batch in chunks(rows):
        cursor.executemany(sql, [tuple(r[c] for c in columns) + fixed for r in batch])
    cursor.close()


def _scalar_defaults(table, given: list[str]) -> dict:
    """Column defaults COPY would not apply (SQLAlchemy applies them on INSERT)."""
    defaults = {}
    for column in table.columns:
        if column.name in given or column.primary_key or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} needs a value")
        defaults[column.name] = column.default.arg
    return defaults


def apply_plan(model, plan: Plan, tick: Callable[[int], None]) -> None:
    """Run a plan's inserts, updates and deactivations in bulk."""
    table = model.__table__
    bulk_insert(table, plan.inserts)
    tick(len(plan.inserts))
    if plan.updates:
        columns = [c for c in plan.updates[0] if c != "_id"]
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns})
        )
        for batch in chunks(plan.updates):
            db.session.execute(statement, batch)
            tick(len(batch))
    deactivate(table, plan.removed_ids)


def deactivate(table, ids: list[int]) -> None:
    statement = (
        table.update().where(table.c.id == bindparam("_id")).values(active=False)
    )
    for batch in chunks(ids):
        db.session.execute(statement, [{"_id": i} for i in batch])


def id_map(model, key: str) -> dict[str, int]:
    table = model.__table__
    return dict(db.session.execute(select(table.c[key], table.c.id)).all())


def building_row(values: tuple) -> dict:
    name, kind, zone, end, start, stop, phone = values
    return {
        "name": name,
        "kind": kind,
        "timezone": zone,
        "end_of_day": end,
        "calling_window_start": start,
        "calling_window_end": stop,
        "phone": check_contact("phone", phone)[0] or phone or None,
    }


def student_row(buildings: dict[str, int]) -> Callable[[tuple], dict]:
    def to_row(values: tuple) -> dict:
        first, last, code, grade, language = values
        return {
            "first_name": first,
            "last_name": last,
            "building_id": buildings[code],
            "grade": grade,
            "home_language": language,
        }

    return to_row


def staff_row(buildings: dict[str, int]) -> Callable[[tuple], dict]:
    def to_row(values: tuple) -> dict:
        first, last, code, title, email, _phone, _mobile, language = values
        return {
            "first_name": first,
            "last_name": last,
            "building_id": buildings[code],
            "job_title": title,
            "email": email.lower() or None,
            "language": language,
        }

    return to_row


def guardian_row(values: tuple) -> dict:
    first, last, language = values[:3]
    return {"first_name": first, "last_name": last, "language": language}


def sync_links(guardian_ids: dict[str, int], student_ids: dict[str, int], records):
    """Make the guardian links match the file: add, update, deactivate."""
    table = GuardianLink.__table__
    existing = {
        (g, s): (link_id, rel, prio, active)
        for link_id, g, s, rel, prio, active in db.session.execute(
            select(
                table.c.id,
                table.c.guardian_id,
                table.c.student_id,
                table.c.relationship_to_student,
                table.c.priority,
                table.c.active,
            )
        )
    }
    inserts, updates = [], []
    for number, (_person, links, _line) in records.items():
        guardian_id = guardian_ids[number]
        for student, (relationship, priority) in links.items():
            key = (guardian_id, student_ids[student])
            found = existing.pop(key, None)
            values = {"relationship_to_student": relationship, "priority": priority}
            if found is None:
                inserts.append({"guardian_id": key[0], "student_id": key[1]} | values)
            elif found[1:] != (relationship, priority, True):
                updates.append({"_id": found[0], "active": True} | values)
    plan = Plan(inserts=inserts, updates=updates)
    plan.removed_ids = [v[0] for v in existing.values() if v[3]]
    apply_plan(GuardianLink, plan, lambda _n: None)
