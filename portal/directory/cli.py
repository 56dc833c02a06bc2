"""`flask --app wsgi directory import DIR`: the import from the command line.

`scripts/import_directory.py` runs the same `run_command`. A terminal gets a
progress bar; cron (not a terminal) gets plain lines.
"""

import getpass
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.directory.importer import ImportResult, run_import

directory_cli = AppGroup("directory", help="The daily SIS/HR directory import.")
BAR_WIDTH = 30
KINDS = ("buildings", "students", "staff", "guardians")


class _Reporter:
    """Draws a bar on a terminal, or prints a line per stage and per 25%."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_stage = None
        self.last_quarter = -1

    def __call__(self, done: int, total: int, stage: str) -> None:
        share = done / total if total else 0.0
        if self.tty:
            filled = int(BAR_WIDTH * share)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{stage:<10} [{bar}] {share:6.1%}")
            self.stream.flush()
            return
        quarter = int(share * 4)
        if stage != self.last_stage or quarter > self.last_quarter:
            self.stream.write(f"{stage}: {done} of {total} ({share:.0%})\n")
            self.last_stage, self.last_quarter = stage, quarter

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def summary_lines(result: ImportResult) -> list[str]:
    """The closing report of a run, one line per kind."""
    lines = []
    for kind in KINDS:
        counts = result.counts.get(kind)
        if counts:
            lines.append(
                f"{kind}: {counts['added']} added, {counts['changed']} changed, "
                f"{counts['removed']} removed, {counts['unchanged']} unchanged"
            )
    ended = result.counts.get("staff", {}).get("portal_access_ended")
    if ended:
        lines.append(f"portal access ended for {ended} staff who left")
    problems = result.counts.get("contact_problems")
    if problems:
        lines.append(
            f"contact problems: {problems['opened']} opened, "
            f"{problems['closed']} closed"
        )
    return lines


def run_command(directory: Path, dry_run: bool, force: bool) -> int:
    """Run an import and print its outcome; returns the exit code."""
    reporter = _Reporter(sys.stderr)
    actor = f"cli:{getpass.getuser()}"
    result = run_import(
        directory, actor=actor, dry_run=dry_run, force=force, progress=reporter
    )
    reporter.close()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not result.ok:
        for problem in result.problems:
            click.echo(problem)
        click.echo(f"import run {result.run_id} {result.status}: nothing changed")
        return 1
    verb = "would be imported (dry run)" if result.status == "dry_run" else "imported"
    click.echo(f"import run {result.run_id} {verb} in {result.duration:.1f} s")
    for line in summary_lines(result):
        click.echo(line)
    return 0


@directory_cli.command("import")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Check and count, keep nothing.")
@click.option("--force", is_flag=True, help="Allow deactivating over 5% of a kind.")
def import_command(directory: Path, dry_run: bool, force: bool) -> None:
    """Import buildings, students, guardians and staff CSVs from DIRECTORY."""
    sys.exit(run_command(directory, dry_run, force))
