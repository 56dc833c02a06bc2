"""The audit trail page: search, page through and export; itself audited."""

import logging
from datetime import date

from flask import Blueprint, Response, render_template, request
from sqlalchemy import select

from portal import clock
from portal.accounts import access, audit
from portal.accounts.audit_search import AuditFilter, export_csv, page
from portal.directory.models import Building
from portal.extensions import db
from portal.main import nav

logger = logging.getLogger(__name__)
bp = Blueprint("audit", __name__, url_prefix="/audit")

nav.add("Audit trail", "audit.index", "audit.view", 80)
PAGE_SIZE = 100


def _date(name: str, problems: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{name}: use the date picker (YYYY-MM-DD)")
        return None


def _filter() -> tuple[AuditFilter, list[str]]:
    """The filter from the query string, with any problems found."""
    problems: list[str] = []
    building = request.args.get("building_id", "").strip()
    if building and not building.isdigit():
        problems.append("building: choose from the list")
    f = AuditFilter(
        action=request.args.get("action", "").strip()[:60],
        user=request.args.get("user", "").strip()[:200],
        building_id=int(building) if building.isdigit() else None,
        target=request.args.get("target", "").strip()[:120],
        since=_date("since", problems),
        until=_date("until", problems),
    )
    return f, problems


@bp.get("/")
@access.requires("audit.view")
def index():
    """Search the audit trail by action, user, building, dates and target."""
    f, problems = _filter()
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() else 1
    rows = page(f, number, PAGE_SIZE)
    audit.record_view("audit.viewed", page=number, search=f.as_details())
    buildings = db.session.scalars(select(Building).order_by(Building.name)).all()
    return render_template(
        "governance/audit.html",
        rows=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        number=number,
        f=f,
        problems=problems,
        buildings=buildings,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/export.csv")
@access.requires("audit.view")
def export():
    """The matching rows as CSV (cells never start a spreadsheet formula)."""
    f, _problems = _filter()
    text, count = export_csv(f)
    audit.record("audit.exported", rows=count, search=f.as_details())
    db.session.commit()
    logger.info("audit_exported rows=%s", count)
    name = f"audit-{clock.today().isoformat()}.csv"
    headers = {"Content-Disposition": f"attachment; filename={name}"}
    return Response(text, mimetype="text/csv", headers=headers)
