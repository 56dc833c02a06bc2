"""Delivery pages: live progress, final report, not reached, simulated phones."""

import requests
from flask import Response, abort, current_app, render_template
from flask_login import current_user

from portal.accounts.access import building_scope, require_building, requires
from portal.delivery import (
    callbacks,  # noqa: F401 - registers the callbacks
    chart,
    reports,
)
from portal.delivery.bp import bp
from portal.directory.models import Building, Guardian, StaffMember
from portal.extensions import db
from portal.messaging.models import Message

CAPABILITY = "delivery.view"


def _message_and_scope(message_id: int):
    """The message if the user may see it, and the buildings they may see."""
    message = db.session.get(Message, message_id)
    if message is None:
        abort(404)
    if message.building_id is not None:
        require_building(CAPABILITY, message.building_id)
    return message, building_scope(current_user, CAPABILITY)


class Names:
    """Building and people names for the not-reached list (page and CSV)."""

    def __init__(self):
        self._buildings = {b.id: b.name for b in db.session.query(Building)}

    def building(self, building_id):
        return self._buildings.get(building_id, "District")

    def people(self, recipients: dict) -> str:
        names = []
        for model, key in ((Guardian, "guardians"), (StaffMember, "staff")):
            for person_id in (recipients or {}).get(key, [])[:5]:
                person = db.session.get(model, person_id)
                if person is not None:
                    names.append(f"{person.first_name} {person.last_name}")
        return "; ".join(names)


@bp.get("/messages/<int:message_id>")
@requires(CAPABILITY)
def progress_page(message_id: int):
    """Live progress of one message's deliveries."""
    message, scope = _message_and_scope(message_id)
    figures = reports.progress(message_id, scope)
    return render_template(
        "delivery/progress_page.html", message=message, figures=figures
    )


@bp.get("/messages/<int:message_id>/progress")
@requires(CAPABILITY)
def progress_partial(message_id: int):
    """The progress block, polled by htmx every two seconds."""
    message, scope = _message_and_scope(message_id)
    figures = reports.progress(message_id, scope)
    response = Response(
        render_template("delivery/_progress.html", message=message, figures=figures)
    )
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/messages/<int:message_id>/report")
@requires(CAPABILITY)
def report(message_id: int):
    """Final report: outcomes, by building, by language, not reached."""
    message, scope = _message_and_scope(message_id)
    figures = reports.progress(message_id, scope)
    lines = reports.report_lines(figures.by_state)
    names = Names()
    return render_template(
        "delivery/report.html",
        message=message,
        figures=figures,
        lines=lines,
        svg=chart.bars(lines),
        buildings=_building_rows(message_id, scope, names),
        languages=reports.by_language(message_id, scope),
        not_reached=reports.not_reached(message_id, scope, limit=200),
        names=names,
    )


def _building_rows(message_id, scope, names):
    counts: dict = {}
    for building_id, state, n in reports.by_building(message_id, scope):
        counts.setdefault(building_id, {})[state] = n
    rows = [(names.building(b), reports.report_lines(c)) for b, c in counts.items()]
    return sorted(rows, key=lambda row: row[0])


@bp.get("/messages/<int:message_id>/not-reached.csv")
@requires(CAPABILITY)
def not_reached_csv(message_id: int):
    """The not-reached list as a spreadsheet."""
    message, scope = _message_and_scope(message_id)
    body = reports.not_reached_csv(message.id, scope, Names())
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=not-reached-{message.id}.csv"
        },
    )


@bp.get("/simulated-phones")
@requires(CAPABILITY)
def simulated_phones():
    """What each simulated phone of the sandbox heard or read (development)."""
    if current_app.config["PORTAL_ENV"] == "production":
        abort(404)
    url = current_app.config["PLIVO_API_URL"].rstrip("/") + "/sandbox/phones"
    try:
        reply = requests.get(url, timeout=5)
        reply.raise_for_status()
        phones = reply.json()
        error = None
    except (requests.RequestException, ValueError):
        phones, error = [], "The sandbox did not answer."
    if isinstance(phones, dict):
        phones = phones.get("phones", [])
    return render_template("delivery/simulated_phones.html", phones=phones, error=error)
