"""Following up a contact problem: assigning it, recording what was done.

E-mails go out after the change is committed, so a mail server that is
down never loses the assignment; the page says when a mail did not go.
"""

import logging

from flask import current_app, url_for
from sqlalchemy import select

from portal import clock, district_settings, mail
from portal.accounts import audit
from portal.accounts.models import PortalUser, RoleAssignment
from portal.contacts.log import KIND_LABELS
from portal.contacts.models import ContactProblem
from portal.extensions import db
from portal.messaging.models import NoticeRecord
from portal.policy import Role

logger = logging.getLogger(__name__)

ACTIONS = {
    "corrected_in_sis": "Corrected in the student system",
    "reached_family": "Reached the family",
    "sent_to_hr": "Sent to HR (staff members only)",
}


class FollowUpError(ValueError):
    """The requested change is not allowed; the message says why."""


def office_staff(building_id: int) -> list[PortalUser]:
    """Active office staff of a building, who may be given problems."""
    users = db.session.scalars(
        select(PortalUser)
        .join(RoleAssignment, RoleAssignment.user_id == PortalUser.id)
        .where(
            RoleAssignment.role == Role.OFFICE_STAFF.value,
            RoleAssignment.building_id == building_id,
            PortalUser.active.is_(True),
        )
        .order_by(PortalUser.display_name)
        .distinct()
    ).all()
    today = clock.today()
    return [
        u
        for u in users
        if any(
            r.role == Role.OFFICE_STAFF
            and r.building_id == building_id
            and r.in_force(today)
            for r in u.roles
        )
    ]


def assign(problem: ContactProblem, assignee_id: int) -> bool:
    """Give a problem to an office staff member; returns whether mail went."""
    if problem.status == "resolved":
        raise FollowUpError("This problem is already resolved.")
    assignee = next(
        (u for u in office_staff(problem.building_id) if u.id == assignee_id), None
    )
    if assignee is None:
        raise FollowUpError("Choose an office staff member of this building.")

    problem.assigned_to_id = assignee.id
    problem.assigned_at = clock.now()
    problem.status = "assigned"
    audit.record(
        "contacts.assign",
        target=f"contact_problem:{problem.id}",
        building_id=problem.building_id,
        assignee_id=assignee.id,
    )
    db.session.commit()
    return _mail_assignee(problem, assignee)


def _mail_assignee(problem: ContactProblem, assignee: PortalUser) -> bool:
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "contacts.my_problems"
    )
    kind = KIND_LABELS.get(problem.contact_point.kind, "contact point")
    text = (
        f"A contact problem at {problem.building.name} was assigned to you.\n\n"
        f"What is wrong: the {kind} is {problem.reason}.\n\n"
        f"See it and record what you did: {link}\n"
    )
    try:
        mail.send([assignee.email], "A contact problem was assigned to you", text)
    except Exception:
        logger.exception("assignment_mail_failed problem=%s", problem.id)
        return False
    return True


def resolve(problem: ContactProblem, action: str, note: str, user) -> bool:
    """Record what the office did; "sent to HR" mails HR. Returns mail success."""
    if problem.status == "resolved":
        raise FollowUpError("This problem is already resolved.")
    if action not in ACTIONS:
        raise FollowUpError("Choose what was done.")
    is_staff = problem.contact_point.staff_member_id is not None
    if action == "sent_to_hr" and not is_staff:
        raise FollowUpError("Only a staff member's contact problem goes to HR.")

    problem.status = "resolved"
    problem.resolution = action
    problem.resolved_at = clock.now()
    problem.resolved_by_id = user.id
    problem.note = note or None
    audit.record(
        "contacts.resolve",
        target=f"contact_problem:{problem.id}",
        building_id=problem.building_id,
        resolution=action,
    )
    notice = _hr_notice(problem) if action == "sent_to_hr" else None
    db.session.commit()
    return _mail_hr(problem, notice) if notice else True


def _hr_notice(problem: ContactProblem) -> NoticeRecord:
    staff = problem.contact_point.staff_member
    notice = NoticeRecord(
        notice="hr",
        contact_problem_id=problem.id,
        recipients=list(district_settings.get("notice_hr") or []),
        subject=f"Staff contact to correct: employee {staff.employee_number}",
    )
    db.session.add(notice)
    return notice


def _mail_hr(problem: ContactProblem, notice: NoticeRecord) -> bool:
    """Send HR the details and record when it went, or why not."""
    point = problem.contact_point
    staff = point.staff_member
    text = (
        "A staff member's contact information in the HR system needs correcting.\n\n"
        f"Staff member: {staff.full_name} (employee {staff.employee_number})\n"
        f"Building: {problem.building.name}\n"
        f"Contact: {KIND_LABELS.get(point.kind, point.kind)} {point.raw!r}\n"
        f"What is wrong: {problem.reason}\n"
        f"Note from the office: {problem.note or '-'}\n"
    )
    try:
        if not notice.recipients:
            raise ValueError("no HR address in the district settings")
        mail.send(notice.recipients, notice.subject, text)
        notice.sent_at = clock.now()
    except Exception as error:
        logger.exception("hr_notice_failed problem=%s", problem.id)
        notice.error = f"{type(error).__name__}: {error}"[:500]
    db.session.commit()
    return notice.sent_at is not None
