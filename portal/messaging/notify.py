"""Telling people: the emergency adviser, and the notices on each send.

Everything here runs after the commit that made it necessary, so a mail or
SMS failure never undoes a send; each notice keeps its sent time or error.
"""

import logging

from flask import current_app
from sqlalchemy import select

from portal import clock, district_settings, mail
from portal.accounts.models import PortalUser, RoleAssignment
from portal.extensions import db
from portal.logs import mask_address
from portal.messaging.models import Message, NoticeRecord
from portal.policy import EMERGENCY_ADVISERS, KIND_LABELS, NOTICE_LABELS, Kind, Notice

logger = logging.getLogger(__name__)

ADVICE_REQUEST = "advice_request"
# The phone-sized approval page (messaging.advise); links in e-mails and
# texts are built outside any request, so the path is spelled out here.
ADVISE_PATH = "/messages/{message_id}/advise"


def advise_url(message_id: int) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + ADVISE_PATH.format(message_id=message_id)


def send_sms(to: str | None, text: str) -> bool:
    """One text through the delivery area's SMS sender; False when it fails."""
    if not to:
        return False
    try:
        from portal.delivery.sms import send_text
    except ImportError:
        logger.warning("sms_unavailable reason=module_missing to=%s", mask_address(to))
        return False
    try:
        send_text(to, text)
    except Exception:
        logger.exception("sms_failed to=%s", mask_address(to))
        return False
    return True


def advisers() -> list[PortalUser]:
    """Active users who hold an emergency-adviser role today."""
    roles = [role.value for role in EMERGENCY_ADVISERS]
    users = db.session.scalars(
        select(PortalUser)
        .join(RoleAssignment, RoleAssignment.user_id == PortalUser.id)
        .where(RoleAssignment.role.in_(roles), PortalUser.active.is_(True))
        .distinct()
    ).all()
    today = clock.today()
    return [
        u for u in users if any(r.role in roles and r.in_force(today) for r in u.roles)
    ]


def ask_emergency_advice(message: Message) -> NoticeRecord:
    """E-mail and text the assistant superintendent a link to approve."""
    people = advisers()
    url = advise_url(message.id)
    subject = f"Emergency message waiting for your advice: {message.title}"
    text = (
        f"An emergency message is waiting for your advice before it is sent.\n\n"
        f"{message.title}\n\nReview and approve: {url}\n"
    )
    record = NoticeRecord(
        notice=ADVICE_REQUEST,
        message_id=message.id,
        recipients=[u.email for u in people],
        subject=subject,
    )
    db.session.add(record)
    errors = []
    if people:
        try:
            mail.send([u.email for u in people], subject, text)
        except Exception as error:
            logger.exception("advice_mail_failed message_id=%s", message.id)
            errors.append(f"e-mail: {type(error).__name__}")
    else:
        errors.append("nobody holds the adviser role")
    for person in people:
        if not send_sms(
            person.mobile_phone, f"Emergency message needs your advice: {url}"
        ):
            errors.append(f"sms to user {person.id} not sent")
    record.sent_at = clock.now() if people else None
    record.error = "; ".join(errors) or None
    db.session.commit()
    logger.info("advice_requested message_id=%s advisers=%s", message.id, len(people))
    return record


def notice_record(message: Message, notice: Notice) -> NoticeRecord:
    """The notice row for one list, not yet mailed."""
    recipients = district_settings.get(f"notice_{notice.value}")
    kind = KIND_LABELS[Kind(message.kind)]
    return NoticeRecord(
        notice=notice.value,
        message_id=message.id,
        recipients=list(recipients or []),
        subject=f"{kind} message sent: {message.title}"[:200],
    )


def _notice_text(message: Message, record: NoticeRecord) -> str:
    audience = NOTICE_LABELS.get(Notice(record.notice), record.notice)
    where = "district-wide" if message.building_id is None else "one building"
    return (
        f"For the {audience}.\n\n"
        f"A {KIND_LABELS[Kind(message.kind)].lower()} message ({where}) was sent "
        f"through the District Notification Portal.\n\n"
        f"Title: {message.title}\n"
        f"Sent at: {message.sent_at:%Y-%m-%d %H:%M} UTC\n"
        f"Details: {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}"
        f"/messages/{message.id}\n"
    )


def mail_notices(record_ids: list[int], message_id: int) -> None:
    """Mail each notice once; record when it went or why it did not."""
    message = db.session.get(Message, message_id)
    for record in db.session.scalars(
        select(NoticeRecord).where(NoticeRecord.id.in_(record_ids))
    ):
        if record.sent_at is not None:
            continue
        try:
            if not record.recipients:
                raise ValueError("no addresses in the setting")
            mail.send(record.recipients, record.subject, _notice_text(message, record))
            record.sent_at = clock.now()
            record.error = None
        except Exception as error:
            logger.exception(
                "notice_mail_failed notice_id=%s message_id=%s", record.id, message_id
            )
            record.error = f"{type(error).__name__}: not sent"
        db.session.commit()
