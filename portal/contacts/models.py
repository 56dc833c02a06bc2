"""Contact problems: inaccurate contact points and their follow-up."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow


class ContactProblem(db.Model):
    """An inaccurate contact point, found by an import or a failed delivery."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_point.id"), index=True
    )
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # import | delivery
    reason: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # open | assigned | resolved
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id"), index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # corrected_in_sis | reached_family | sent_to_hr | verified_by_import |
    # person_left
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    note: Mapped[str | None] = mapped_column(Text)

    contact_point = relationship("ContactPoint")
    building = relationship("Building")
    assigned_to = relationship("PortalUser", foreign_keys=[assigned_to_id])
