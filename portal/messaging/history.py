"""A message's full history: who did what, when, from the audit trail."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.accounts.models import AuditEvent, PortalUser
from portal.extensions import db
from portal.messaging.models import Approval, Message

ACTION_LABELS = {
    "messaging.compose": "started the draft",
    "messaging.edit": "edited",
    "messaging.record": "added a recording",
    "messaging.submit": "submitted for approval",
    "messaging.approve": "approved",
    "messaging.reject": "rejected",
    "messaging.send": "sent",
    "messaging.cancel": "cancelled",
}


@dataclass
class Event:
    at: datetime
    who: str
    what: str
    version: int | None
    comment: str | None = None


def _names(user_ids) -> dict[int, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(PortalUser.id, PortalUser.display_name).where(PortalUser.id.in_(ids))
    )
    return dict(rows.all())


def timeline(message: Message) -> list[Event]:
    """Every audited action on the message, oldest first, with comments."""
    audits = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target == f"message:{message.id}")
        .order_by(AuditEvent.id)
    ).all()
    approvals = db.session.scalars(
        select(Approval).where(Approval.message_id == message.id).order_by(Approval.id)
    ).all()
    names = _names({a.user_id for a in audits} | {a.approver_id for a in approvals})
    comments = {
        (a.approver_id, a.message_version, a.kind): a.comment for a in approvals
    }
    events = []
    for row in audits:
        details = row.details or {}
        what = ACTION_LABELS.get(row.action, row.action)
        kind = details.get("approval_kind")
        if kind:
            what = f"{what} ({kind.replace('_', ' ')})"
        if details.get("voided_approvals"):
            what += f"; {details['voided_approvals']} approval(s) voided"
        if row.action == "messaging.send":
            what += f"; {details.get('deliveries', 0)} deliveries"
        comment = comments.get((row.user_id, details.get("version"), kind))
        who = names.get(row.user_id, row.actor)
        events.append(Event(row.at, who, what, details.get("version"), comment))
    return events
