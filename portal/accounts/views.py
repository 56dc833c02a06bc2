"""Sign-in through the district's OpenID Connect provider, and sign-out."""

import logging
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from requests import RequestException
from sqlalchemy import select

from portal.accounts import audit, sessions
from portal.accounts.access import public, requires
from portal.accounts.models import PortalUser
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__)

NEXT_KEY = "after_signin"


def district_provider():
    """The Authlib client of the district's OpenID provider for this app."""
    return current_app.extensions["authlib.integrations.flask_client"].district


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths may be returned to after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//"):
        return None
    return target


@bp.get("/signin")
@public
def signin():
    """The sign-in page (lists demo users in development)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if current_app.config["DEV_SIGNIN_HELPERS"]:
        # The sign-in state lives in this host's cookie and the provider
        # returns to PUBLIC_BASE_URL: on a laptop, "localhost" and
        # "127.0.0.1" are two sites, so start from the one we return to.
        canonical = urlsplit(current_app.config["PUBLIC_BASE_URL"])
        if request.host != canonical.netloc:
            query = request.query_string.decode()
            target = canonical._replace(path=request.path, query=query)
            return redirect(target.geturl())
    demo_users = []
    if current_app.config["DEV_SIGNIN_HELPERS"]:
        demo_users = db.session.scalars(
            select(PortalUser)
            .where(PortalUser.active.is_(True))
            .order_by(PortalUser.id)
            .limit(40)
        ).all()
    return render_template(
        "accounts/signin.html",
        demo_users=demo_users,
        next=_safe_next(request.args.get("next")),
    )


@bp.post("/signin")
@public
def start_signin():
    """Send the browser to the district's identity provider."""
    next_path = _safe_next(request.form.get("next"))
    session.clear()
    if next_path:
        session[NEXT_KEY] = next_path
    # Built from PUBLIC_BASE_URL, not the request: behind a TLS proxy the
    # request says http://, and the provider wants the registered URI exactly.
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    redirect_uri = base + url_for("accounts.callback")
    extra = {}
    if current_app.config["DEV_SIGNIN_HELPERS"] and request.form.get("login_hint"):
        extra["login_hint"] = request.form["login_hint"]
    return district_provider().authorize_redirect(redirect_uri, **extra)


@bp.get("/signin/callback")
@public
def callback():
    """Finish sign-in: check the ID token, find the portal account."""
    try:
        token = district_provider().authorize_access_token()
    except (OAuthError, ValueError, KeyError, RequestException) as error:
        logger.warning("signin_failed reason=%s", type(error).__name__)
        audit.record("signin.failed", reason=type(error).__name__)
        db.session.commit()
        flash("Sign-in did not complete. Please try again.", "error")
        return redirect(url_for("accounts.signin"))

    claims = token["userinfo"]
    issuer, subject = claims["iss"], claims["sub"]
    user = db.session.scalar(
        select(PortalUser).where(
            PortalUser.issuer == issuer, PortalUser.subject == subject
        )
    )
    next_path = session.get(NEXT_KEY)
    if user is None or not user.active:
        reason = "no_account" if user is None else "account_disabled"
        audit.record("signin.refused", user_id=user.id if user else None, reason=reason)
        db.session.commit()
        session.clear()
        template = "no_account" if user is None else "disabled"
        page = render_template(f"accounts/{template}.html", subject=subject)
        return page, 403

    user.last_sign_in_at = utcnow()
    sessions.start(user)
    audit.record("signin", user_id=user.id, actor=user.email)
    db.session.commit()
    logger.info("signin user_id=%s", user.id)
    return redirect(next_path or url_for("main.home"))


@bp.post("/signout")
@requires("home")
def signout():
    """End this session on the server and in the browser."""
    audit.record("signout")
    sessions.end_current("logout")
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.signin"))
