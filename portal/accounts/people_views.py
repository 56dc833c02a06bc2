"""People with portal accounts: their roles, access history and training."""

from flask import Blueprint, abort, render_template, request
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.accounts import access, history, training
from portal.accounts.models import AuditEvent, PortalUser, RoleAssignment
from portal.accounts.requests import AccountRequest
from portal.extensions import db
from portal.main import nav

bp = Blueprint("people", __name__, url_prefix="/people")

nav.add("People", "people.index", "accounts.fulfil", 72)


@bp.get("/")
@access.requires("accounts.fulfil")
def index():
    """Every portal account, searchable by name or e-mail."""
    q = request.args.get("q", "").strip()
    stmt = (
        select(PortalUser)
        .options(selectinload(PortalUser.roles).joinedload(RoleAssignment.building))
        .order_by(PortalUser.display_name)
        .limit(500)
    )
    if q:
        stmt = stmt.where(
            or_(
                PortalUser.display_name.icontains(q, autoescape=True),
                PortalUser.email.icontains(q, autoescape=True),
            )
        )
    users = db.session.scalars(stmt).all()
    return render_template("accounts/people.html", users=users, q=q)


@bp.get("/<int:user_id>")
@access.requires("accounts.fulfil")
def show(user_id: int):
    """One person: roles with end dates, every access change, training."""
    user = db.session.get(PortalUser, user_id)
    if user is None:
        abort(404)
    requests_for = db.session.scalars(
        select(AccountRequest)
        .where(AccountRequest.portal_user_id == user.id)
        .order_by(AccountRequest.id.desc())
    ).all()
    last = training.last_trained_on(user.id)
    # Changes made outside the request form (directory import, demo set-up).
    other_events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target.in_([f"user:{user.id}", f"portal_user:{user.id}"]),
            ~AuditEvent.action.startswith("access."),
        )
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "accounts/person.html",
        person=user,
        today=clock.today(),
        changes=history.for_user(user.id),
        requests_for=requests_for,
        other_events=other_events,
        last_trained=last,
        training_due_on=training.due_on(last),
        training_current=training.is_current(user),
    )
