"""Home page per role, the Policy page and the health check."""

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from portal import clock, district_settings, policy
from portal.accounts.access import holds, public, requires
from portal.extensions import db
from portal.main import home_cards, nav
from portal.queues import redis_connection

bp = Blueprint("main", __name__)


@bp.get("/")
@requires("home")
def home():
    """What this person can do today, by role and building."""
    cards = home_cards.for_user(current_user)
    return render_template("main/home.html", cards=cards, today=clock.today())


@bp.get("/policy")
@requires("policy.view")
def policy_page():
    """The district procedure's tables, in plain language."""
    limits = {k: district_settings.get(k) for k in policy.LIMIT_DEFAULTS}
    return render_template("main/policy.html", policy=policy, limits=limits)


@bp.get("/healthz")
@public
def healthz():
    """Reports whether the database and Redis answer (no details leak)."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        current_app.logger.exception("healthz_database_failed")
        checks["database"] = "down"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception:
        current_app.logger.exception("healthz_redis_failed")
        checks["redis"] = "down"
    status = 200 if all(v == "ok" for v in checks.values()) else 503
    return jsonify(checks), status


def can(capability: str, building_id: int | None = None) -> bool:
    """Template helper: whether the signed-in user holds a capability."""
    return holds(current_user, capability, building_id)


@bp.app_template_filter("role_names")
def role_names(roles) -> str:
    """Roles as their labels, sorted and joined: "Principal, Superintendent"."""
    return ", ".join(sorted(policy.ROLE_LABELS[policy.Role(r)] for r in roles))


@bp.app_context_processor
def inject_helpers():
    return {"can": can, "policy": policy, "nav_items": nav.items}
