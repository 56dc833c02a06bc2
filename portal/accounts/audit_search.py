"""Finding and exporting audit rows for the IT administrator and superintendent."""

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, or_, select

from portal import clock
from portal.accounts.models import AuditEvent
from portal.extensions import db

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = (
    "id", "at", "actor", "user_id", "action", "building_id", "target",
    "remote_addr", "details", "prev_hash", "hash",
)  # fmt: skip


@dataclass
class AuditFilter:
    """What the audit page was asked to show; every field is optional."""

    action: str = ""
    user: str = ""
    building_id: int | None = None
    target: str = ""
    since: date | None = None
    until: date | None = None

    def as_details(self) -> dict:
        """JSON-safe form, for the audit row that records the search."""
        values = asdict(self)
        for key in ("since", "until"):
            values[key] = values[key].isoformat() if values[key] else None
        return {k: v for k, v in values.items() if v not in ("", None)}


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.district_timezone())


def query(f: AuditFilter) -> Select:
    """Rows matching the filter, newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if f.action:
        stmt = stmt.where(AuditEvent.action.startswith(f.action, autoescape=True))
    if f.user:
        stmt = stmt.where(_user_clause(f.user))
    if f.building_id is not None:
        stmt = stmt.where(AuditEvent.building_id == f.building_id)
    if f.target:
        stmt = stmt.where(AuditEvent.target.startswith(f.target, autoescape=True))
    if f.since:
        stmt = stmt.where(AuditEvent.at >= _local_midnight(f.since))
    if f.until:
        stmt = stmt.where(AuditEvent.at < _local_midnight(f.until + timedelta(1)))
    return stmt


def _user_clause(text: str):
    """A user id (digits) or part of the actor's e-mail address."""
    if text.isdigit():
        return AuditEvent.user_id == int(text)
    return or_(AuditEvent.actor.icontains(text, autoescape=True))


def page(f: AuditFilter, number: int = 1, size: int = 100) -> list[AuditEvent]:
    """One page of matching rows."""
    offset = (max(number, 1) - 1) * size
    return db.session.scalars(query(f).limit(size + 1).offset(offset)).all()


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def export_csv(f: AuditFilter) -> tuple[str, int]:
    """All matching rows as CSV text, and how many there were."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for event in db.session.scalars(query(f).execution_options(yield_per=500)):
        row = [getattr(event, c) for c in EXPORT_COLUMNS]
        row[1] = event.at.isoformat()
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return buffer.getvalue(), count
