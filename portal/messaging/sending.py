"""The hand-off to delivery: `send(message_id, user_id)` and `cancel`.

One transaction locks the message row, checks the policy and approvals,
marks the message sent (or scheduled), creates every delivery row and the
notice records. Only after commit are the workers woken and notices mailed.
"""

import json
import logging
from datetime import time

from flask import current_app
from sqlalchemy import insert, select, update

from portal import clock
from portal.accounts.models import PortalUser
from portal.delivery.models import PENDING, Delivery
from portal.directory.models import Building
from portal.extensions import db
from portal.messaging import audience, notify, rules, schedule, service
from portal.messaging.models import Approval, Message, NoticeRecord
from portal.models_base import utcnow
from portal.policy import QUIET_HOURS_EXEMPT, Kind, notices_for_send

logger = logging.getLogger(__name__)

SENDABLE = frozenset({service.DRAFT, service.PENDING, service.APPROVED})
BATCH = 5000
DEFAULT_END_OF_DAY = time(15, 30)
DEFAULT_WINDOW = (time(8, 0), time(20, 0))


def _locked(message_id: int) -> Message:
    query = (
        select(Message)
        .where(Message.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    message = db.session.scalar(query)
    if message is None:
        raise service.WrongState("No such message.")
    return message


def check_can_send(message: Message, user) -> set[str]:
    """Raise unless the user may send this message now; returns sender roles."""
    roles = service.role_pairs(user)
    scope = service.scope_of(message)
    building = message.building_id
    if not rules.may_send(roles, message.kind, scope, building, message.situation):
        raise service.NotAllowed("Your role does not send this kind of message here.")
    problems = service.readiness(message)
    if problems:
        raise service.NotReady(" ".join(problems))
    sender_roles = rules.roles_at(roles, building)
    missing = rules.missing_approvals(
        service.required(message), service.granted(message), sender_roles
    )
    if missing:
        names = ", ".join(sorted(m.replace("_", " ") for m in missing))
        raise service.NotReady(f"Waiting for approval: {names}.")
    return set(sender_roles)


def send(message_id: int, user_id: int) -> int:
    """Send a message once; returns the delivery rows created (0 on a repeat)."""
    try:
        count = _send_locked(message_id, user_id)
    except Exception:
        # Refusals happen while the row lock is held: end that transaction.
        db.session.rollback()
        raise
    if count is None:
        return 0
    _wake(message_id)
    notify.mail_notices(_unsent_notices(message_id), message_id)
    return count


def _unsent_notices(message_id: int) -> list[int]:
    return db.session.scalars(
        select(NoticeRecord.id).where(
            NoticeRecord.message_id == message_id,
            NoticeRecord.notice != notify.ADVICE_REQUEST,
            NoticeRecord.sent_at.is_(None),
        )
    ).all()


def _send_locked(message_id: int, user_id: int) -> int | None:
    """The one transaction: lock, check, mark sent, create deliveries.

    Returns None when the message had already been sent.
    """
    message = _locked(message_id)
    if message.state in (service.SENT, service.SCHEDULED):
        db.session.rollback()
        logger.info("message_send_repeat message_id=%s", message_id)
        return None
    if message.state not in SENDABLE:
        db.session.rollback()
        raise service.WrongState("This message cannot be sent in its state.")
    user = db.session.get(PortalUser, user_id)
    sender_roles = check_can_send(message, user)
    _approve_by_sending(message, user, sender_roles)

    now = clock.now()
    go_at = _go_at(message, now)
    count = _create_deliveries(message, go_at)
    message.state = service.SCHEDULED if go_at > now else service.SENT
    message.sent_at = now
    message.sent_by_id = user.id
    message.scheduled_for = go_at
    notices = _record_notices(message, sender_roles)
    service.audit_message("send", message, user, deliveries=count, notices=len(notices))
    db.session.commit()
    logger.info("message_sent message_id=%s deliveries=%s", message_id, count)
    return count


def _approve_by_sending(message: Message, user, sender_roles: set) -> None:
    """A content approver who sends approves the content by doing so."""
    if rules.CONTENT not in service.required(message):
        return
    if rules.CONTENT in service.granted(message):
        return
    db.session.add(
        Approval(
            message_id=message.id,
            message_version=message.version,
            kind=rules.CONTENT,
            decision="approved",
            approver_id=user.id,
            comment="Approved by sending.",
        )
    )


def building_clock(building: Building | None):
    """(timezone, end of day, calling window) of a building or the district."""
    if building is None:
        zone = current_app.config.get("DISTRICT_TIMEZONE", "America/Los_Angeles")
        return zone, DEFAULT_END_OF_DAY, DEFAULT_WINDOW
    window = (building.calling_window_start, building.calling_window_end)
    return building.timezone, building.end_of_day, window


def home_building(message: Message) -> Building | None:
    """The message's building, or the district office for district messages."""
    if message.building_id is not None:
        return db.session.get(Building, message.building_id)
    return db.session.scalar(select(Building).where(Building.kind == "district"))


def _go_at(message: Message, now):
    zone, eod, _window = building_clock(home_building(message))
    return schedule.send_time(message.send_mode, now, message.scheduled_for, zone, eod)


def _create_deliveries(message: Message, go_at) -> int:
    """Insert one pending delivery per (channel, address), in batches."""
    households = audience.resolve(message.audience, message.channels)
    buildings = audience.buildings_by_id({h.building_id for h in households.values()})
    variants = {v.language for v in message.variants}
    exempt = Kind(message.kind) in QUIET_HOURS_EXEMPT
    openings: dict[int | None, object] = {}
    rows = []
    for home in households.values():
        not_before = go_at
        if not exempt and home.channel != "email":
            if home.building_id not in openings:
                zone, _eod, (start, end) = building_clock(
                    buildings.get(home.building_id)
                )
                openings[home.building_id] = schedule.next_opening(
                    go_at, zone, start, end
                )
            not_before = openings[home.building_id]
        rows.append(_row(message, home, variants, not_before))
    _insert_rows(rows)
    return len(rows)


COPY_COLUMNS = (
    "message_id", "channel", "address", "language", "content_language",
    "building_id", "recipients", "priority", "state", "not_before",
    "attempt_count", "outcome_unknown", "created_at", "updated_at",
)  # fmt: skip


def _insert_rows(rows: list[dict]) -> None:
    """Insert delivery rows in this transaction: COPY on PostgreSQL.

    SQLAlchemy's executemany goes row by row and a multi-row VALUES takes
    longer to compile than to run; COPY streams 100,000 rows at once.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(Delivery.__table__), rows[start : start + BATCH])
        return
    driver = connection.connection.driver_connection
    statement = f"COPY {Delivery.__tablename__} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[c] for c in COPY_COLUMNS]
            values[6] = json.dumps(values[6])
            copy.write_row(values)


def _row(message, home, variants, not_before) -> dict:
    now = utcnow()
    return {
        "message_id": message.id,
        "channel": home.channel,
        "address": home.address,
        "language": home.language,
        "content_language": home.language if home.language in variants else "en",
        "building_id": home.building_id,
        "recipients": home.recipients(),
        "priority": 1,
        "state": PENDING,
        "not_before": not_before,
        "attempt_count": 0,
        "outcome_unknown": False,
        "created_at": now,
        "updated_at": now,
    }


def _record_notices(message: Message, sender_roles: set) -> list[NoticeRecord]:
    scope = service.scope_of(message)
    notices = notices_for_send(Kind(message.kind), scope, sender_roles)
    records = [notify.notice_record(message, notice) for notice in sorted(notices)]
    db.session.add_all(records)
    db.session.flush()
    return records


def _wake(message_id: int) -> None:
    """Tell the delivery workers; the rows are committed, so a miss only waits."""
    try:
        from portal.delivery import dispatch

        dispatch.wake(message_id)
    except ImportError:
        logger.warning("delivery_wake_unavailable message_id=%s", message_id)
    except Exception:
        logger.exception("delivery_wake_failed message_id=%s", message_id)


def cancel(message_id: int, user_id: int) -> int:
    """Cancel a draft or a scheduled message; returns deliveries cancelled."""
    message = _locked(message_id)
    user = db.session.get(PortalUser, user_id)
    if message.state not in (service.SCHEDULED, *service.EDITABLE):
        db.session.rollback()
        raise service.WrongState(
            "Only a draft or a scheduled message can be cancelled."
        )
    roles = service.role_pairs(user)
    scope = service.scope_of(message)
    building = message.building_id
    allowed = rules.may_send(roles, message.kind, scope, building, message.situation)
    if not (allowed or message.author_id == user.id):
        db.session.rollback()
        raise service.NotAllowed("You may not cancel this message.")
    cancelled = db.session.execute(
        update(Delivery)
        .where(Delivery.message_id == message.id, Delivery.state == PENDING)
        .values(state="cancelled", final_at=utcnow(), updated_at=utcnow())
    ).rowcount
    message.state = service.CANCELLED
    message.cancelled_at = clock.now()
    service.audit_message("cancel", message, user, deliveries_cancelled=cancelled)
    db.session.commit()
    return cancelled
