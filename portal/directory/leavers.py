"""Staff who left: their portal access ends in the same import."""

import logging
from datetime import datetime

from sqlalchemy import func, or_, select

from portal.accounts import audit, history
from portal.accounts.models import PortalUser
from portal.directory.models import StaffMember
from portal.directory.writing import chunks
from portal.extensions import db

logger = logging.getLogger(__name__)


def end_access(staff_ids: list[int], now: datetime) -> int:
    """Deactivate the portal users of staff who left and end their sessions.

    A user belongs to a staff member by link, or by the same e-mail address
    when no link was made. Each one is audited. Returns how many.
    """
    ended = 0
    for batch in chunks(staff_ids, 1000):
        emails = select(func.lower(StaffMember.email)).where(
            StaffMember.id.in_(batch), StaffMember.email.is_not(None)
        )
        users = db.session.scalars(
            select(PortalUser).where(
                PortalUser.active.is_(True),
                or_(
                    PortalUser.staff_member_id.in_(batch),
                    PortalUser.staff_member_id.is_(None)
                    & func.lower(PortalUser.email).in_(emails),
                ),
            )
        ).all()
        for user in users:
            # Kept in the person's access history like any other removal.
            history.deactivate(user, by=None)
            audit.record(
                "directory.staff_left",
                target=f"portal_user:{user.id}",
                actor="directory import",
                staff_member_id=user.staff_member_id,
                at=now.isoformat(),
            )
            logger.info("portal_access_ended user=%s reason=staff_left", user.id)
            ended += 1
    db.session.flush()
    return ended
