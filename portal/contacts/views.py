"""The daily contact log, its CSV, assignment, and "My contact problems"."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from portal.accounts import access, audit
from portal.accounts.access import requires
from portal.contacts import followup
from portal.contacts import log as contact_log
from portal.contacts.chart import bar_chart
from portal.contacts.forms import AssignForm, ResolveForm
from portal.contacts.models import ContactProblem
from portal.directory.models import Building
from portal.extensions import db
from portal.main import home_cards, nav

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
# Rows per list on the log page; the CSV download holds every one. A
# district's first import can open a thousand problems in one building.
SECTION_ROWS = 100


def _building_in_scope(building_id: int) -> Building:
    """The building, or 404 when it is not in the user's log scope."""
    access.require_building("contacts.log", building_id)
    building = db.session.get(Building, building_id)
    if building is None:
        abort(404)
    return building


@bp.get("/log")
@requires("contacts.log")
def daily_log():
    """Open problems per building; one building in scope goes straight to it."""
    scope = access.building_scope(current_user, "contacts.log")
    if scope is not None and len(scope) == 1:
        return redirect(url_for(".building_log", building_id=next(iter(scope))))
    counts = contact_log.open_counts(scope)
    return render_template(
        "contacts/daily_log.html", counts=counts, chart=bar_chart(counts)
    )


@bp.get("/log/<int:building_id>")
@requires("contacts.log")
def building_log(building_id: int):
    """One building's log: new today, still open (with age), resolved lately."""
    building = _building_in_scope(building_id)
    entries = contact_log.building_log(building.id, limit=SECTION_ROWS)
    can_assign = access.holds(current_user, "contacts.assign", building.id)
    staff = followup.office_staff(building.id) if can_assign else []
    page = render_template(
        "contacts/building_log.html",
        building=building,
        log=entries,
        sizes=contact_log.section_sizes(building.id),
        can_assign=can_assign,
        office_staff=staff,
    )
    audit.record_view(
        "contacts.log_viewed", target=f"building:{building.id}", building_id=building.id
    )
    return page


@bp.get("/log/<int:building_id>.csv")
@requires("contacts.log")
def log_csv(building_id: int):
    """The building's log as a formula-safe CSV download."""
    building = _building_in_scope(building_id)
    body = contact_log.log_csv(building, contact_log.building_log(building.id))
    audit.record(
        "contacts.log_exported",
        target=f"building:{building.id}",
        building_id=building.id,
    )
    db.session.commit()
    name = f"contact-log-{building.code}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/problems/<int:problem_id>/assign")
@requires("contacts.assign")
def assign(problem_id: int):
    """Give a problem to an office staff member of its building."""
    problem = db.session.get(ContactProblem, problem_id)
    if problem is None:
        abort(404)
    access.require_building("contacts.assign", problem.building_id)
    form = AssignForm()
    form.assignee_id.choices = [
        SelectChoice(u.id, u.display_name)
        for u in followup.office_staff(problem.building_id)
    ]
    if not form.validate_on_submit():
        flash("Choose an office staff member of this building.", "error")
    else:
        try:
            mailed = followup.assign(problem, form.assignee_id.data)
        except followup.FollowUpError as error:
            flash(str(error), "error")
        else:
            flash(
                "Assigned." if mailed else "Assigned, but the e-mail did not go.",
                "success" if mailed else "warning",
            )
    return redirect(url_for(".building_log", building_id=problem.building_id))


@bp.get("/mine")
@requires("contacts.work")
def my_problems():
    """The contact problems assigned to me, oldest first."""
    entries = contact_log.assigned_to(current_user.id)
    page = render_template(
        "contacts/my_problems.html", entries=entries, actions=followup.ACTIONS
    )
    audit.record_view("contacts.my_problems_viewed", count=len(entries))
    return page


@bp.post("/problems/<int:problem_id>/resolve")
@requires("contacts.work")
def resolve(problem_id: int):
    """Record what I did about a problem assigned to me."""
    problem = db.session.scalar(
        select(ContactProblem).where(
            ContactProblem.id == problem_id,
            ContactProblem.assigned_to_id == current_user.id,
        )
    )
    if problem is None:
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash("Choose what was done.", "error")
        return redirect(url_for(".my_problems"))
    try:
        mailed = followup.resolve(
            problem, form.action.data, form.note.data, current_user
        )
    except followup.FollowUpError as error:
        flash(str(error), "error")
    else:
        flash(
            "Recorded." if mailed else "Recorded, but the e-mail to HR did not go.",
            "success" if mailed else "warning",
        )
    return redirect(url_for(".my_problems"))


@home_cards.register("contacts.log")
def _log_card(user) -> list[home_cards.Card]:
    counts = contact_log.open_counts(access.building_scope(user, "contacts.log"))
    total = sum(count for _building, count in counts)
    return [
        home_cards.Card(
            "Contact log",
            "Inaccurate phone numbers and e-mails to follow up.",
            url_for("contacts.daily_log"),
            "Open the daily contact log",
            total,
        )
    ]


@home_cards.register("contacts.work")
def _mine_card(user) -> list[home_cards.Card]:
    count = len(contact_log.assigned_to(user.id))
    return [
        home_cards.Card(
            "My contact problems",
            "Contact problems assigned to you.",
            url_for("contacts.my_problems"),
            "Work on them",
            count,
        )
    ]


nav.add("Contact log", "contacts.daily_log", "contacts.log", 60)
nav.add("My contact problems", "contacts.my_problems", "contacts.work", 61)
