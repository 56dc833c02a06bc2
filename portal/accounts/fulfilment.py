"""The IT administrator's side of an account request: fulfil or decline."""

import logging
import smtplib

from flask import current_app, render_template
from sqlalchemy import select

from portal.accounts import audit, history
from portal.accounts.models import PortalUser
from portal.accounts.requests import (
    DECLINED,
    FULFILLED,
    PENDING,
    AccountRequest,
    RequestError,
    account_for,
    default_subject,
)
from portal.extensions import db
from portal.mail import send
from portal.models_base import utcnow
from portal.policy import DISTRICT_ROLES, Role

logger = logging.getLogger(__name__)


def fulfil(request_row: AccountRequest, by, subject: str = "", comment: str = ""):
    """Change the person's access as asked (the caller commits)."""
    if request_row.status != PENDING:
        raise RequestError("This request was already decided.")
    user = _account(request_row, subject.strip(), by)

    if request_row.kind == "add":
        _grant(user, request_row, by)
    elif request_row.kind == "change":
        for assignment in _in_scope(user, request_row, same_role_only=False):
            history.end(assignment, by, request_row.id)
        _grant(user, request_row, by)
    else:
        for assignment in _in_scope(user, request_row, same_role_only=True):
            history.end(assignment, by, request_row.id)
        if user.active and not history.live_roles(user):
            history.deactivate(user, by, request_row.id)

    _decide(request_row, FULFILLED, by, comment)
    request_row.portal_user_id = user.id
    audit.record(
        "accounts.request_fulfilled",
        target=f"account_request:{request_row.id}",
        building_id=request_row.building_id,
        user=user.id,
    )
    return user


def decline(request_row: AccountRequest, by, comment: str) -> None:
    """Turn a request down; a comment saying why is required."""
    if request_row.status != PENDING:
        raise RequestError("This request was already decided.")
    if not comment.strip():
        raise RequestError("Say why the request is declined.")
    _decide(request_row, DECLINED, by, comment)
    audit.record(
        "accounts.request_declined",
        target=f"account_request:{request_row.id}",
        building_id=request_row.building_id,
    )


def _decide(request_row, status, by, comment) -> None:
    request_row.status = status
    request_row.decided_by_id = by.id
    request_row.decided_at = utcnow()
    request_row.comment = comment.strip() or None


def _account(request_row, subject: str, by) -> PortalUser:
    """The person's portal account; an add creates it when there is none."""
    staff = request_row.staff_member
    user = account_for(staff)
    if user is None and request_row.kind != "add":
        raise RequestError("This person has no portal account.")
    if user is None:
        user = _create(staff, subject or default_subject(staff), by, request_row)
    elif user.staff_member_id is None:
        user.staff_member_id = staff.id
    return user


def _create(staff, subject: str, by, request_row) -> PortalUser:
    if not subject:
        raise RequestError("Enter the person's sign-in subject (no e-mail on file).")
    issuer = current_app.config["OIDC_ISSUER"]
    taken = db.session.scalar(
        select(PortalUser.id).where(
            PortalUser.issuer == issuer, PortalUser.subject == subject
        )
    )
    if taken:
        raise RequestError("Another account already uses this sign-in subject.")
    fields = {
        "issuer": issuer,
        "subject": subject,
        "email": (staff.email or subject).lower(),
        "display_name": staff.full_name,
        "staff_member_id": staff.id,
    }
    return history.create_account(fields, by, request_row.id)


def _grant(user, request_row, by) -> None:
    history.grant(
        user,
        Role(request_row.role),
        request_row.building_id,
        by,
        request_row.id,
        starts_on=request_row.starts_on,
        ends_on=request_row.ends_on,
    )


def _in_scope(user, request_row, *, same_role_only: bool) -> list:
    """The person's live roles that this request reaches.

    A building request reaches that building's roles only; a district
    request with no building reaches every role (change: district roles).
    """
    chosen = []
    for assignment in history.live_roles(user):
        if same_role_only and request_row.role and assignment.role != request_row.role:
            continue
        if request_row.building_id is not None:
            if assignment.building_id != request_row.building_id:
                continue
        elif (
            request_row.kind == "change" and Role(assignment.role) not in DISTRICT_ROLES
        ):
            continue
        chosen.append(assignment)
    return chosen


def tell_requester(request_row: AccountRequest) -> bool:
    """E-mail the requester the decision; False when the mail failed."""
    context = {"req": request_row}
    subject = f"Account request #{request_row.id}: {request_row.status}"
    try:
        send(
            [request_row.requested_by.email],
            subject,
            render_template("accounts/mail/decision.txt", **context),
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("request_mail_failed account_request=%s", request_row.id)
        return False
    return True
