"""Account requests: the requester's form and list, and IT's queue."""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.accounts import access, fulfilment, requests
from portal.accounts.forms import AccountRequestForm, DeclineForm, FulfilForm
from portal.accounts.requests import PENDING, AccountRequest, RequestError
from portal.directory.models import Building, StaffMember
from portal.extensions import db
from portal.main import home_cards, nav
from portal.policy import Role

logger = logging.getLogger(__name__)
bp = Blueprint("account_requests", __name__, url_prefix="/accounts")

nav.add("Account requests", "account_requests.index", "accounts.request", 70)
nav.add("Accounts queue", "account_requests.queue", "accounts.fulfil", 70)


@home_cards.register("accounts.fulfil")
def _queue_card(_user):
    waiting = db.session.scalar(
        select(func.count(AccountRequest.id)).where(AccountRequest.status == PENDING)
    )
    return [
        home_cards.Card(
            "Account requests",
            "Requests waiting for you to fulfil or decline.",
            url_for("account_requests.queue"),
            "Open the queue",
            count=waiting,
        )
    ]


def _requester_choices():
    """Staff and buildings within the requester's scope."""
    scope = access.building_scope(current_user, "accounts.request")
    staff = select(StaffMember).where(StaffMember.active.is_(True))
    buildings = select(Building).where(Building.active.is_(True))
    if scope is not None:
        staff = staff.where(StaffMember.building_id.in_(scope))
        buildings = buildings.where(Building.id.in_(scope))
    staff = db.session.scalars(
        staff.order_by(StaffMember.last_name, StaffMember.first_name)
    ).all()
    buildings = db.session.scalars(buildings.order_by(Building.name)).all()
    return staff, buildings


@bp.route("/requests/new", methods=["GET", "POST"])
@access.requires("accounts.request")
def new_request():
    """Fill in the account request form (add, change or remove access)."""
    form = AccountRequestForm()
    staff, buildings = _requester_choices()
    form.fill_choices(staff, buildings, requests.allowed_roles(current_user))
    if not form.validate_on_submit():
        return render_template("accounts/new_request.html", form=form)

    person = db.session.get(StaffMember, form.staff_member_id.data or 0)
    role = Role(form.role.data) if form.role.data else None
    values = {
        "kind": form.kind.data,
        "staff": person if person in staff else None,
        "role": role,
        "building_id": form.building_id.data,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
    }
    found = requests.problems(current_user, **values)
    if found:
        for name, text in found.items():
            getattr(form, name).errors.append(text)
        return render_template("accounts/new_request.html", form=form), 422

    row = requests.submit(current_user, reason=form.reason.data.strip(), **values)
    db.session.commit()
    logger.info("account_request_submitted account_request=%s", row.id)
    flash(f"Request #{row.id} is in the IT queue.", "success")
    return redirect(url_for("account_requests.index"))


@bp.get("/requests")
@access.requires("accounts.request")
def index():
    """The requests this person sent and what became of them."""
    rows = db.session.scalars(
        select(AccountRequest)
        .where(AccountRequest.requested_by_id == current_user.id)
        .order_by(AccountRequest.id.desc())
        .limit(200)
    ).all()
    return render_template("accounts/index.html", rows=rows)


@bp.get("/queue")
@access.requires("accounts.fulfil")
def queue():
    """IT's queue: waiting requests first, then the latest decisions."""
    waiting = db.session.scalars(
        select(AccountRequest)
        .where(AccountRequest.status == PENDING)
        .order_by(AccountRequest.id)
    ).all()
    decided = db.session.scalars(
        select(AccountRequest)
        .where(AccountRequest.status != PENDING)
        .order_by(AccountRequest.decided_at.desc())
        .limit(50)
    ).all()
    return render_template("accounts/queue.html", waiting=waiting, decided=decided)


def _request_or_404(request_id: int) -> AccountRequest:
    row = db.session.get(AccountRequest, request_id)
    if row is None:
        abort(404)
    return row


@bp.get("/requests/<int:request_id>")
@access.requires("accounts.fulfil")
def show(request_id: int):
    """One request, with the fulfil and decline forms."""
    row = _request_or_404(request_id)
    return _show(row, FulfilForm(prefix="f"), DeclineForm(prefix="d"))


def _show(row, fulfil_form, decline_form, status=200):
    account = requests.account_for(row.staff_member)
    return (
        render_template(
            "accounts/show.html",
            req=row,
            account=account,
            default_subject=requests.default_subject(row.staff_member),
            fulfil_form=fulfil_form,
            decline_form=decline_form,
        ),
        status,
    )


@bp.post("/requests/<int:request_id>/fulfil")
@access.requires("accounts.fulfil")
def fulfil(request_id: int):
    """Fulfil a request: change the person's access and tell the requester."""
    row = _request_or_404(request_id)
    form = FulfilForm(prefix="f")
    if not form.validate_on_submit():
        return _show(row, form, DeclineForm(prefix="d"), 422)
    try:
        fulfilment.fulfil(
            row, current_user, form.subject.data or "", form.comment.data or ""
        )
    except RequestError as error:
        db.session.rollback()
        form.subject.errors.append(str(error))
        return _show(row, form, DeclineForm(prefix="d"), 422)
    db.session.commit()
    _tell(row, "fulfilled")
    return redirect(url_for("account_requests.queue"))


@bp.post("/requests/<int:request_id>/decline")
@access.requires("accounts.fulfil")
def decline(request_id: int):
    """Decline a request with a comment and tell the requester."""
    row = _request_or_404(request_id)
    form = DeclineForm(prefix="d")
    if not form.validate_on_submit():
        return _show(row, FulfilForm(prefix="f"), form, 422)
    try:
        fulfilment.decline(row, current_user, form.comment.data or "")
    except RequestError as error:
        db.session.rollback()
        form.comment.errors.append(str(error))
        return _show(row, FulfilForm(prefix="f"), form, 422)
    db.session.commit()
    _tell(row, "declined")
    return redirect(url_for("account_requests.queue"))


def _tell(row: AccountRequest, outcome: str) -> None:
    logger.info(
        "account_request_decided account_request=%s outcome=%s", row.id, outcome
    )
    if fulfilment.tell_requester(row):
        flash(f"Request #{row.id} {outcome}; the requester was told.", "success")
    else:
        flash(
            f"Request #{row.id} {outcome}, but the e-mail to the requester failed.",
            "warning",
        )
