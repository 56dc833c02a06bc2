"""Import runs for IT: every run with its counts and errors, live progress."""

from flask import Blueprint, abort, render_template, url_for
from sqlalchemy import select

from portal.accounts.access import requires
from portal.directory.cli import summary_lines
from portal.directory.importer import ImportResult
from portal.directory.models import ImportRun
from portal.extensions import db
from portal.main import home_cards, nav

bp = Blueprint("directory", __name__, url_prefix="/directory")
PAGE_SIZE = 50


def _run_or_404(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None or run.source != "directory":
        abort(404)
    return run


def _summary(run: ImportRun) -> list[str]:
    return summary_lines(ImportResult(run.id, run.status, run.counts or {}))


@bp.get("/imports")
@requires("directory.import")
def import_runs():
    """The latest directory import runs, newest first."""
    runs = db.session.scalars(
        select(ImportRun)
        .where(ImportRun.source == "directory")
        .order_by(ImportRun.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render_template("directory/import_runs.html", runs=runs, summary=_summary)


@bp.get("/imports/<int:run_id>")
@requires("directory.import")
def import_run(run_id: int):
    """One run: who, when, files, counts, every error and warning."""
    run = _run_or_404(run_id)
    return render_template("directory/import_run.html", run=run, summary=_summary(run))


@bp.get("/imports/<int:run_id>/progress")
@requires("directory.import")
def import_run_progress(run_id: int):
    """The progress bar of a run; polled by htmx while the run is going."""
    run = _run_or_404(run_id)
    return render_template("directory/_import_run_progress.html", run=run)


@home_cards.register("directory.import")
def _last_import_card(_user) -> list[home_cards.Card]:
    run = db.session.scalars(
        select(ImportRun)
        .where(ImportRun.source == "directory")
        .order_by(ImportRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        text = "No directory import has run yet."
    else:
        text = (
            f"Last import: {run.status}, started {run.started_at:%Y-%m-%d %H:%M} UTC."
        )
    return [
        home_cards.Card(
            title="Directory imports",
            text=text,
            url=url_for("directory.import_runs"),
            link_text="See import runs",
        )
    ]


nav.add("Imports", "directory.import_runs", "directory.import", 70)
