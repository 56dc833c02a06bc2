"""`flask --app wsgi attendance import FILE` and `attendance run --date`."""

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal import clock
from portal.attendance import households, importer, service
from portal.directory.models import Building
from portal.extensions import db
from portal.telephony import tts

attendance_cli = AppGroup("attendance", help="Daily absences and attendance calls.")


def import_command(path: Path) -> int:
    """Import an absences file; print every problem; 0 when imported."""
    result = importer.import_absences(
        path.read_bytes(), path.name, actor="cli:import_absences"
    )
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    for error in result.errors:
        click.echo(error, err=True)
    if not result.ok:
        click.echo(f"rejected: {len(result.errors)} problem(s), nothing imported")
        return 1
    counts = result.counts
    click.echo(
        f"imported: {counts['unexcused']} unexcused absence(s), "
        f"{counts['excused']} excused row(s) skipped, {counts['removed']} removed"
    )
    return 0


@attendance_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(file: Path):
    """Import the day's absences file (all or nothing)."""
    sys.exit(import_command(file))


@attendance_cli.command("run")
@click.option("--date", "day", default=None, help="YYYY-MM-DD (default today)")
@click.option("--building", "code", default=None, help="one building's code")
def run(day: str | None, code: str | None):
    """Run the day's attendance calls now (safe to repeat)."""
    when = date.fromisoformat(day) if day else clock.today()
    query = select(Building).where(Building.active.is_(True), Building.kind == "school")
    if code:
        query = select(Building).where(Building.code == code)
    buildings = list(db.session.scalars(query))
    if not buildings:
        raise click.ClickException(f"no building {code!r}")

    failed = 0
    for building in buildings:
        if not households.absences_for(building.id, when):
            click.echo(f"{building.code}: no absences imported for {when}")
            continue
        try:
            outcome = service.run_building(building.id, when)
        except tts.TtsUnavailable as error:
            db.session.rollback()
            failed += 1
            click.echo(f"{building.code}: speech engine unavailable ({error})")
            continue
        counts = outcome.counts
        click.echo(
            f"{building.code}: {counts.get('households', 0)} household(s) to call, "
            f"{counts.get('deliveries_created', 0)} new deliveries, "
            f"{counts.get('clips_made', 0)} new clip(s)"
        )
    sys.exit(1 if failed else 0)
