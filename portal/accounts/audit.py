"""The tamper-evident audit trail: append-only rows in a hash chain."""

import hashlib
import json
import logging

from flask import after_this_request, has_request_context, request
from flask_login import current_user
from sqlalchemy import DDL, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from portal.accounts.models import AuditEvent
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# Serialises writers so two transactions never chain onto the same row.
_CHAIN_LOCK_KEY = 4404


def _digest(event: AuditEvent) -> str:
    body = {
        "prev": event.prev_hash,
        "at": event.at.isoformat(),
        "user_id": event.user_id,
        "actor": event.actor,
        "action": event.action,
        "building_id": event.building_id,
        "target": event.target,
        "remote_addr": event.remote_addr,
        "details": event.details,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    action: str,
    *,
    target: str | None = None,
    building_id: int | None = None,
    actor: str | None = None,
    user_id: int | None = None,
    **details,
) -> AuditEvent:
    """Add an audit row to the current transaction; the caller commits.

    `target` is an id such as "message:12", never a name or a number.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY}
        )
    if has_request_context() and current_user and current_user.is_authenticated:
        user_id = user_id if user_id is not None else current_user.id
        actor = actor or current_user.email
    prev = db.session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    )
    event = AuditEvent(
        at=utcnow().replace(microsecond=0),
        user_id=user_id,
        actor=actor or "system",
        action=action,
        building_id=building_id,
        target=target,
        remote_addr=request.remote_addr if has_request_context() else None,
        details=details,
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event)
    db.session.add(event)
    db.session.flush()
    return event


def record_view(action: str, **fields) -> None:
    """Audit that the signed-in person viewed a page, once it is rendered.

    The row is added and committed after the view returns: a commit before
    rendering would expire every row the page shows, and the template would
    then load them again one by one (thousands of statements on a large
    list); committing last also holds the audit chain's lock only for the
    insert. Call it once the view has passed its checks.
    """

    @after_this_request
    def _record(response):
        record(action, **fields)
        db.session.commit()
        return response


class AppendOnlyError(RuntimeError):
    """Something tried to change or remove an audit row."""


@sa_event.listens_for(Session, "before_flush")
def _refuse_audit_edits(session, _flush_context, _instances) -> None:
    """The portal only ever adds audit rows; an edit or delete is a bug."""
    for row in session.deleted:
        if isinstance(row, AuditEvent):
            raise AppendOnlyError(f"audit row {row.id} may not be deleted")
    for row in session.dirty:
        if isinstance(row, AuditEvent) and session.is_modified(row):
            raise AppendOnlyError(f"audit row {row.id} may not be changed")


@sa_event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_edits(state) -> None:
    """Bulk ORM UPDATE/DELETE statements on audit rows are refused too."""
    if not (state.is_update or state.is_delete):
        return
    if any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AppendOnlyError("audit rows may not be changed or deleted")


# PostgreSQL refuses row edits itself as well (TRUNCATE, which the tests use
# between tests, is not a row-level event and is not blocked). The same DDL
# is in migration 0006_accounts.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_event rows are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""

for _ddl in (APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER):
    sa_event.listen(
        AuditEvent.__table__,
        "after_create",
        DDL(_ddl.replace("%", "%%")).execute_if(dialect="postgresql"),
    )


def verify_chain() -> list[int]:
    """Ids of rows whose hash or link does not match; empty when intact."""
    broken = []
    prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev or _digest(event) != event.hash:
            broken.append(event.id)
        prev = event.hash
    return broken
