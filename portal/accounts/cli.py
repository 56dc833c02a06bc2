"""IT command-line tools for accounts and the audit trail."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.accounts import audit, history, training
from portal.accounts.models import AuditEvent, PortalUser
from portal.extensions import db
from portal.policy import Role

accounts_cli = AppGroup("accounts", help="Portal accounts and the audit trail.")


@accounts_cli.command("verify-audit")
def verify_audit():
    """Check the audit trail's hash chain; exit 1 naming any altered row."""
    broken = audit.verify_chain()
    checked = db.session.scalar(select(func.count(AuditEvent.id)))
    if broken:
        click.echo(
            f"audit chain broken at rows: {', '.join(map(str, broken))} "
            f"({len(broken)} of {checked} rows)"
        )
        for row_id in broken[:50]:
            event = db.session.get(AuditEvent, row_id)
            click.echo(f"  row {event.id}: {event.at.isoformat()} {event.action}")
        db.session.rollback()
        sys.exit(1)
    click.echo(f"audit chain intact ({checked} rows)")
    db.session.rollback()


@accounts_cli.command("training-due")
def training_due():
    """List active users whose annual training is due (e-mail, last date)."""
    for row in training.roster(only_due=True):
        last = row["last"].isoformat() if row["last"] else "never"
        click.echo(f"{row['user'].email}\t{last}")
    db.session.rollback()


@accounts_cli.command("bootstrap-it-admin")
@click.argument("email")
@click.option("--name", required=True, help="The name shown in the portal.")
@click.option("--subject", help="The IdP's subject (sub); default: the e-mail.")
def bootstrap_it_admin(email: str, name: str, subject: str | None):
    """Create the first IT administrator (later accounts go through requests)."""
    issuer = current_app.config["OIDC_ISSUER"]
    subject = (subject or email).strip().lower()
    exists = db.session.scalar(
        select(PortalUser.id).where(
            PortalUser.issuer == issuer, PortalUser.subject == subject
        )
    )
    if exists:
        click.echo(f"an account with this subject exists (user {exists})")
        sys.exit(1)
    fields = {"issuer": issuer, "subject": subject, "email": email.lower()}
    user = history.create_account({**fields, "display_name": name}, by=None)
    history.grant(user, Role.IT_ADMIN, None, by=None)
    db.session.commit()
    click.echo(f"IT administrator created (user {user.id})")
