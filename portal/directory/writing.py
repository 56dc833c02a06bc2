"""Writing checked records to the database in bulk, changing only what changed.

Every row carries the digest of its exported values (see records.py); only
new and changed records reach this module. People missing from the export
are marked inactive. All of it runs in the caller's transaction: the
importer commits or rolls back.
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Time, bindparam, select, update

from portal.directory.checks import check_contact
from portal.directory.models import GuardianLink
from portal.extensions import db

CHUNK = 5000
# Rows per write when rows are written while later ones are checked.
WRITE_ROWS = 20_000


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch(statement) -> list[tuple]:
    """Plain tuples of a select, straight from the driver (no Row objects).

    Only for statements whose parameters are our own numbers, rendered
    into the SQL.
    """
    connection = db.session.connection()
    sql = str(
        statement.compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


@dataclass
class State:
    """One table's rows before the import, by key."""

    ids: dict[str, int] = field(default_factory=dict)
    # Digests of the active rows: an inactive row that comes back is changed.
    digests: dict[str, str] = field(default_factory=dict)
    max_id: int = 0


def load_state(model, key: str) -> State:
    """Key, id, digest and active flag of every row of a table."""
    table = model.__table__
    state = State()
    rows = fetch(select(table.c[key], table.c.id, table.c.row_hash, table.c.active))
    for number, row_id, digest, active in rows:
        state.ids[number] = row_id
        if active:
            state.digests[number] = digest
    state.max_id = max(state.ids.values(), default=0)
    return state


def learn_new_ids(model, key: str, state: State) -> None:
    """Add the ids of rows inserted since `state` was loaded."""
    table = model.__table__
    statement = select(table.c[key], table.c.id).where(table.c.id > state.max_id)
    state.ids.update(fetch(statement))


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
    """What one kind's import will do: new keys, changed ids, removed ids."""

    new: list[str] = field(default_factory=list)
    changed: list[tuple[str, int]] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    counts: KindCounts = field(default_factory=KindCounts)


def plan_rows(state: State, records: dict, keys: set[str], unchanged: int) -> Plan:
    """Sort checked records into new and changed; active rows not in `keys` go."""
    plan = Plan()
    for number in records:
        row_id = state.ids.get(number)
        if row_id is None:
            plan.new.append(number)
        else:
            plan.changed.append((number, row_id))
    plan.removed_ids = [state.ids[n] for n in state.digests if n not in keys]
    plan.counts = KindCounts(
        added=len(plan.new),
        changed=len(plan.changed),
        removed=len(plan.removed_ids),
        unchanged=unchanged,
        active_before=len(state.digests),
    )
    return plan


def bulk_insert(table, columns: list[str], rows: Iterable[tuple]) -> None:
    """Insert many rows, given as tuples in `columns` order.

    PostgreSQL gets COPY and SQLite its own executemany, in batches written
    while the later rows are still being made and checked.
    """
    connection = db.session.connection()
    defaults = _scalar_defaults(table, columns)
    names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    fixed = tuple(defaults.values())
    raw = connection.connection.driver_connection
    every = [*columns, *defaults]
    if any(isinstance(table.c[c].type, Time) for c in every):
        # sqlite3 cannot bind times: SQLAlchemy converts them (buildings).
        for batch in chunks([dict(zip(every, r + fixed, strict=True)) for r in rows]):
            db.session.execute(table.insert(), batch)
        return
    if connection.dialect.name == "postgresql":
        sql = f'COPY "{table.name}" ({names}) FROM STDIN'

        def write(batch: list[tuple]) -> None:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in batch:
                    copy.write_row(row)

    else:
        marks = ", ".join("?" * (len(columns) + len(fixed)))
        # Table and column names come from our own metadata, never from input.
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608

        def write(batch: list[tuple]) -> None:
            cursor = raw.cursor()
            cursor.executemany(sql, batch)
            cursor.close()

    _write_alongside(write, (row + fixed for row in rows))


def _write_alongside(write: Callable[[list[tuple]], None], rows: Iterable[tuple]):
    """Write `rows` in batches of WRITE_ROWS, on a thread of their own.

    This thread makes the rows (checking each phone number as it goes)
    while the writer hands the previous batch to the database, which works
    without holding Python's lock: PostgreSQL in its own process (its
    foreign-key checks run when each COPY statement ends), SQLite inside
    `executemany`. Only the writer uses the connection until it has
    finished; an error on either side stops both and is raised here, and
    the caller's transaction is rolled back as for any other failure.
    """
    batches: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def work() -> None:
        while (batch := batches.get()) is not None:
            if failed:
                continue  # drain until the end mark, so the maker never blocks
            try:
                write(batch)
            except BaseException as error:  # noqa: BLE001 - raised again below
                failed.append(error)

    writer = threading.Thread(target=work, name="directory-writer", daemon=True)
    writer.start()
    try:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == WRITE_ROWS:
                batches.put(batch)
                batch = []
                if failed:
                    break
        if batch and not failed:
            batches.put(batch)
    finally:
        batches.put(None)
        writer.join()
    if failed:
        raise failed[0]


def _scalar_defaults(table, given: list[str]) -> dict:
    """Column defaults a raw insert would not apply (SQLAlchemy would)."""
    defaults = {}
    for column in table.columns:
        if column.name in given or column.primary_key or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} needs a value")
        defaults[column.name] = column.default.arg
    return defaults


def update_rows(table, rows: list[dict]) -> None:
    """Update rows by "_id"; rows with the same columns go in one batch."""
    by_shape: dict[tuple, list[dict]] = {}
    for row in rows:
        by_shape.setdefault(tuple(row), []).append(row)
    for shape, batch_rows in by_shape.items():
        columns = [c for c in shape if c != "_id"]
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns})
        )
        for batch in chunks(batch_rows):
            db.session.execute(statement, batch)


def deactivate(table, ids: list[int], column: str = "id") -> None:
    """Mark the rows whose `column` is one of `ids` inactive."""
    for batch in chunks(sorted(ids)):
        db.session.execute(
            update(table)
            .where(table.c[column].in_(batch), table.c.active.is_(True))
            .values(active=False)
        )


def write_kind(model, key: str, plan: Plan, records: dict, row: Callable) -> None:
    """Insert the plan's new rows, update its changed ones, deactivate the gone.

    `row(values)` gives a record's columns as a tuple in `ROW_COLUMNS` order.
    """
    table = model.__table__
    columns = [key, "row_hash", *ROW_COLUMNS[table.name]]
    bulk_insert(
        table,
        columns,
        ((n, records[n][0], *row(records[n][1])) for n in plan.new),
    )
    updates = []
    for number, row_id in plan.changed:
        digest, values = records[number][:2]
        changed = dict(zip(columns[1:], (digest, *row(values)), strict=True))
        updates.append({"_id": row_id, "active": True, **changed})
    update_rows(table, updates)
    deactivate(table, plan.removed_ids)


ROW_COLUMNS = {
    "building": (
        "name",
        "kind",
        "timezone",
        "end_of_day",
        "calling_window_start",
        "calling_window_end",
        "phone",
    ),
    "student": ("first_name", "last_name", "building_id", "grade", "home_language"),
    "staff_member": (
        "first_name",
        "last_name",
        "building_id",
        "job_title",
        "email",
        "language",
    ),
    "guardian": ("first_name", "last_name", "language"),
}


def building_row(values: tuple) -> tuple:
    name, kind, zone, end, start, stop, phone = values
    phone = check_contact("phone", phone)[0] or phone or None
    return (name, kind, zone, end, start, stop, phone)


def student_row(buildings: dict[str, int]) -> Callable[[tuple], tuple]:
    def to_row(values: tuple) -> tuple:
        first, last, code, grade, language = values
        return (first, last, buildings[code], grade, language)

    return to_row


def staff_row(buildings: dict[str, int]) -> Callable[[tuple], tuple]:
    def to_row(values: tuple) -> tuple:
        first, last, code, title, email, _phone, _mobile, language = values
        return (first, last, buildings[code], title, email.lower() or None, language)

    return to_row


def guardian_row(values: tuple) -> tuple:
    return values[:3]


LINK_COLUMNS = ["guardian_id", "student_id", "relationship_to_student", "priority"]


def sync_links(new: Iterator[tuple], changed: dict[int, dict], gone: list[int]):
    """Make the guardian links match the file.

    `new` yields link rows of new guardians; `changed` maps a changed
    guardian's id to {student id: (relationship, priority)}; the links of
    guardians who are `gone` are deactivated.
    """
    table = GuardianLink.__table__
    bulk_insert(table, LINK_COLUMNS, new)
    inserts, updates, removed = [], [], []
    for batch in chunks(sorted(changed), 1000):
        existing = fetch(
            select(
                table.c.id,
                table.c.guardian_id,
                table.c.student_id,
                table.c.relationship_to_student,
                table.c.priority,
                table.c.active,
            ).where(table.c.guardian_id.in_(batch))
        )
        found = {
            (g, s): (link_id, rel, prio, active)
            for link_id, g, s, rel, prio, active in existing
        }
        for guardian_id in batch:
            for student_id, (relationship, priority) in changed[guardian_id].items():
                old = found.pop((guardian_id, student_id), None)
                if old is None:
                    inserts.append((guardian_id, student_id, relationship, priority))
                elif old[1:] != (relationship, priority, True):
                    updates.append(
                        {
                            "_id": old[0],
                            "active": True,
                            "relationship_to_student": relationship,
                            "priority": priority,
                        }
                    )
        removed += [v[0] for v in found.values() if v[3]]
    bulk_insert(table, LINK_COLUMNS, inserts)
    update_rows(table, updates)
    deactivate(table, removed)
    deactivate(table, gone, column="guardian_id")
