"""Annual training: sessions, who attended, who is due, and the compose gate.

Messaging calls `require_current_training` on its compose views (or
`may_compose(user)` in its own code); both honour the district setting
`training_required_to_compose`.
"""

import logging
from datetime import date, datetime
from functools import wraps

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock, district_settings
from portal.accounts import audit
from portal.accounts.models import PortalUser
from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow

logger = logging.getLogger(__name__)

SETTING = "training_required_to_compose"


class TrainingSession(db.Model):
    """A training the IT administrator held on a day."""

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    attendances: Mapped[list["TrainingAttendance"]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )


class TrainingAttendance(db.Model):
    """One portal user's attendance at one session."""

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="attendances")
    user: Mapped[PortalUser] = relationship()


def record_session(held_on: date, topic: str, user_ids, notes=None, by=None):
    """Keep a session and its attendees (the caller commits)."""
    session_row = TrainingSession(
        held_on=held_on,
        topic=topic,
        notes=notes or None,
        recorded_by_id=by.id if by else None,
        recorded_at=utcnow(),
    )
    for user_id in sorted(set(user_ids)):
        session_row.attendances.append(TrainingAttendance(user_id=user_id))
    db.session.add(session_row)
    db.session.flush()
    audit.record(
        "training.recorded",
        target=f"training_session:{session_row.id}",
        held_on=held_on.isoformat(),
        attendees=sorted(set(user_ids)),
    )
    return session_row


def due_on(last: date | None) -> date | None:
    """The day training falls due again: 12 months after the last one."""
    if last is None:
        return None
    try:
        return last.replace(year=last.year + 1)
    except ValueError:  # 29 February
        return last.replace(year=last.year + 1, day=28)


def last_trained_on(user_id: int) -> date | None:
    """The date of the user's latest training, or None."""
    return db.session.scalar(
        select(func.max(TrainingSession.held_on))
        .join(TrainingAttendance)
        .where(TrainingAttendance.user_id == user_id)
    )


def is_current(user) -> bool:
    """Whether the user trained within the last 12 months."""
    due = due_on(last_trained_on(user.id))
    return due is not None and clock.today() < due


def may_compose(user) -> bool:
    """False only when the setting requires training and it is not current."""
    if not district_settings.get(SETTING):
        return True
    return is_current(user)


def require_current_training(view):
    """Refuse a compose view (403 page) while the user's training is due."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not may_compose(current_user):
            logger.info("compose_refused_training user_id=%s", current_user.id)
            if request.headers.get("HX-Request"):
                return render_template("accounts/_training_required.html"), 403
            return render_template("accounts/training_required.html"), 403
        return view(*args, **kwargs)

    return wrapped


def roster(only_due: bool = False) -> list[dict]:
    """Active users with their last training, due date and whether due."""
    last = (
        select(TrainingAttendance.user_id, func.max(TrainingSession.held_on))
        .join(TrainingSession)
        .group_by(TrainingAttendance.user_id)
    )
    last_by_user = dict(db.session.execute(last).all())
    users = db.session.scalars(
        select(PortalUser)
        .where(PortalUser.active.is_(True))
        .order_by(PortalUser.display_name)
    ).all()
    today = clock.today()
    rows = []
    for user in users:
        trained = last_by_user.get(user.id)
        due = due_on(trained)
        is_due = due is None or today >= due
        if only_due and not is_due:
            continue
        rows.append({"user": user, "last": trained, "due_on": due, "due": is_due})
    return rows
