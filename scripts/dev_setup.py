"""Prepare a development machine: `.env`, the database, the demo district.

Run by `make run` as `python -m scripts.dev_setup`. Safe to run again: it
keeps an existing `.env`, upgrades the database in place and loads the demo
district only into a database without buildings.
"""

import logging
import secrets
import sys
from pathlib import Path

from dotenv import load_dotenv
from flask_migrate import upgrade
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
ENV_FILE = ROOT / ".env"
DEMO_DIR = INSTANCE / "demo_district"
DEMO_STUDENTS = 1800
DEMO_SEED = 2026

logger = logging.getLogger("scripts.dev_setup")


def dev_env_text() -> str:
    """The development `.env`: local stand-ins for every outside service."""
    return "\n".join(
        [
            "# Written by scripts/dev_setup.py for development. Never use in production.",
            "PORTAL_ENV=development",
            f"SECRET_KEY=dev-{secrets.token_urlsafe(32)}",
            "OIDC_ISSUER=http://127.0.0.1:9400",
            "OIDC_CLIENT_ID=portal-dev",
            "OIDC_CLIENT_SECRET=portal-dev-secret",
            "DEV_SIGNIN_HELPERS=1",
            "SMTP_HOST=127.0.0.1",
            "SMTP_PORT=8025",
            "PLIVO_API_URL=http://127.0.0.1:5055",
            "PUBLIC_BASE_URL=http://127.0.0.1:5000",
            "",
        ]
    )


def ensure_env_file() -> None:
    """Write `.env` with development defaults unless one exists."""
    if ENV_FILE.exists():
        print(f"keeping {ENV_FILE.name}")
        return
    ENV_FILE.write_text(dev_env_text())
    print(f"wrote {ENV_FILE.name} with development defaults")


def load_demo_district(actor: str = "dev_setup") -> bool:
    """Generate the demo district's CSV files and import them."""
    try:
        from portal.directory import importer, synthetic
    except ImportError:
        print("the directory importer is not available yet; no demo district")
        return False

    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    print(f"generating the demo district ({DEMO_STUDENTS} students) in {DEMO_DIR}")
    synthetic.write_district(DEMO_DIR, students=DEMO_STUDENTS, seed=DEMO_SEED)
    print("importing the demo district (about a minute)")
    importer.run_import(DEMO_DIR, actor=actor)
    return True


def main() -> int:
    INSTANCE.mkdir(exist_ok=True)
    (INSTANCE / "mail").mkdir(exist_ok=True)
    ensure_env_file()
    load_dotenv(ENV_FILE)

    from portal import create_app
    from portal.accounts import demo
    from portal.directory.models import Building
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        print("upgrading the database")
        upgrade()
        buildings = db.session.scalar(select(func.count(Building.id)))
        if not buildings:
            load_demo_district()
        created = demo.ensure_demo_users(app.config["OIDC_ISSUER"])
        if created:
            print(f"created {len(created)} demo portal users")
        print_welcome(demo.claims_for(app.config["OIDC_ISSUER"]))
    return 0


def print_welcome(users: list[dict]) -> None:
    """Tell the newcomer where the portal is and how to sign in."""
    subjects = ", ".join(u["sub"] for u in users) or "(none yet)"
    print(
        "\n".join(
            [
                "",
                "The portal starts on http://127.0.0.1:5000",
                "Sign in: press 'Sign in with your district account', then on the",
                "local provider's page press a demo user's button (or type a subject).",
                f"Demo users: {subjects}",
                "Mail sent by the portal is saved under instance/mail/.",
                "",
            ]
        ),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
