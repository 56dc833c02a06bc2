"""Delivery pages: live progress, final report, not reached, simulated phones."""

import requests
from flask import Response, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

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
    """Building and people names for the not-reached list (page and CSV).

    Every name the listed deliveries need is read up front, a few thousand
    ids per query, not one query per person.
    """

    PEOPLE = ((Guardian, "guardians"), (StaffMember, "staff"))
    SHOWN = 5  # names per delivery
    CHUNK = 5000

    def __init__(self, deliveries=()):
        self._buildings = {b.id: b.name for b in db.session.query(Building)}
        self._people: dict[tuple, str] = {}
        for model, key in self.PEOPLE:
            wanted = set()
            for delivery in deliveries:
                wanted.update((delivery.recipients or {}).get(key, [])[: self.SHOWN])
            self._read(model, sorted(wanted))

    def _read(self, model, ids: list[int]) -> None:
        for low in range(0, len(ids), self.CHUNK):
            query = select(model.id, model.first_name, model.last_name).where(
                model.id.in_(ids[low : low + self.CHUNK])
            )
            for person_id, first, last in db.session.execute(query):
                self._people[(model, person_id)] = f"{first} {last}"

    def building(self, building_id):
        return self._buildings.get(building_id, "District")

    def people(self, recipients: dict) -> str:
        names = []
        for model, key in self.PEOPLE:
            for person_id in (recipients or {}).get(key, [])[: self.SHOWN]:
                name = self._people.get((model, person_id))
                if name is not None:
                    names.append(name)
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
    tables = reports.breakdown(message_id, scope)
    not_reached = reports.not_reached(message_id, scope, limit=200)
    names = Names(not_reached)
    buildings = [
        (names.building(b), reports.report_lines(states))
        for b, states in tables.by_building.items()
    ]
    return render_template(
        "delivery/report.html",
        message=message,
        figures=figures,
        lines=lines,
        svg=chart.bars(lines),
        buildings=sorted(buildings, key=lambda row: row[0]),
        languages=tables.languages(),
        not_reached=not_reached,
        names=names,
    )


@bp.get("/messages/<int:message_id>/not-reached.csv")
@requires(CAPABILITY)
def not_reached_csv(message_id: int):
    """The not-reached list as a spreadsheet."""
    message, scope = _message_and_scope(message_id)
    rows = reports.not_reached(message.id, scope)
    body = reports.not_reached_csv(rows, Names(rows))
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
