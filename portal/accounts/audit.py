"""The tamper-evident audit trail: append-only rows in a hash chain."""

import hashlib
import json
import logging

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, text

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


def verify_chain() -> list[int]:
    """Ids of rows whose hash or link does not match; empty when intact."""
    broken = []
    prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev or _digest(event) != event.hash:
            broken.append(event.id)
        prev = event.hash
    return broken
