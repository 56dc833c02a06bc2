"""Server-side sessions: the cookie holds a session id, the row decides.

Logging out or deactivating a user ends the rows, so an old cookie is
worthless. Idle and absolute timeouts are checked on every request.
"""

import secrets
from datetime import timedelta

from flask import current_app, request, session
from sqlalchemy import update

from portal.accounts.models import PortalUser, UserSession
from portal.extensions import db
from portal.models_base import utcnow

SESSION_KEY = "sid"
# Writing last_seen_at on every request would be a write per page view.
TOUCH_EVERY = timedelta(seconds=60)


def start(user: PortalUser) -> UserSession:
    """Begin a session for a user who just signed in (new id: no fixation)."""
    session.clear()
    row = UserSession(
        id=secrets.token_urlsafe(32), user_id=user.id, remote_addr=request.remote_addr
    )
    db.session.add(row)
    session[SESSION_KEY] = row.id
    session.permanent = True
    return row


def load_user_from_request(_request) -> PortalUser | None:
    """Flask-Login request loader: the user of a live session, or None."""
    sid = session.get(SESSION_KEY)
    if not sid:
        return None
    row = db.session.get(UserSession, sid)
    if row is None or row.ended_at is not None:
        session.clear()
        return None

    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if now - row.last_seen_at > idle:
        return _end(row, "idle_timeout")
    if now - row.created_at > absolute:
        return _end(row, "absolute_timeout")
    if not row.user.active:
        return _end(row, "account_disabled")

    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row.user


def _end(row: UserSession, reason: str) -> None:
    row.ended_at = utcnow()
    row.ended_reason = reason
    db.session.commit()
    session.clear()
    return None


def end_current(reason: str = "logout") -> None:
    """End this browser's session (the caller commits)."""
    sid = session.pop(SESSION_KEY, None)
    if sid:
        row = db.session.get(UserSession, sid)
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            row.ended_reason = reason
    session.clear()


def end_all_for(user_id: int, reason: str) -> None:
    """End every live session of a user (deactivation); the caller commits."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
