"""IT command-line tools for accounts and the audit trail."""

import sys

import click
from flask.cli import AppGroup

from portal.accounts import audit
from portal.extensions import db

accounts_cli = AppGroup("accounts", help="Portal accounts and the audit trail.")


@accounts_cli.command("verify-audit")
def verify_audit():
    """Check the audit trail's hash chain; exit 1 if any row was altered."""
    broken = audit.verify_chain()
    if broken:
        click.echo(f"audit chain broken at rows: {', '.join(map(str, broken))}")
        sys.exit(1)
    click.echo("audit chain intact")
    db.session.rollback()
