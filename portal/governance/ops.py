"""rq-dashboard under /ops/rq, for the IT administrator only.

rq-dashboard has no sign-in of its own. We guard its blueprint with a
`before_request` check and wrap each of its views with `requires`, so the
app's "every view names its access rule" check passes as well. Its pages use
inline scripts and styles (and underscore templates, which need eval), so
they get a relaxed Content-Security-Policy on this path only. Its jQuery
POSTs carry no CSRF token: the blueprint is exempt from CSRF and instead
refuses any state-changing request whose Origin is not our own.
"""

import logging
from urllib.parse import urlsplit

import rq_dashboard
from flask import abort, redirect, request, url_for
from flask_login import current_user
from rq_dashboard.web import setup_rq_connection

from portal.accounts import access
from portal.extensions import csrf
from portal.main import nav

logger = logging.getLogger(__name__)
CAPABILITY = "ops.dashboard"
URL_PREFIX = "/ops/rq"
DASHBOARD_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

bp = rq_dashboard.blueprint
bp.url_prefix = URL_PREFIX
csrf.exempt(bp)
nav.add("Operations", "rq_dashboard.queues_overview", CAPABILITY, 95)


def guard():
    """Only the IT administrator reaches the dashboard; writes stay same-site."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.signin", next=request.full_path))
    if not access.holds(current_user, CAPABILITY):
        abort(403)
    if request.method not in ("GET", "HEAD") and not _same_origin():
        logger.warning("ops_cross_site_refused endpoint=%s", request.endpoint)
        abort(403)
    if request.endpoint == "rq_dashboard.requeue_all" and request.method == "GET":
        abort(405)
    return None


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return False
    return urlsplit(origin).netloc == request.host


def relaxed_csp(response):
    """rq-dashboard's own pages need inline script and style."""
    if response.status_code < 400:
        response.headers["Content-Security-Policy"] = DASHBOARD_CSP
    return response


def favicon():
    """The dashboard's icon, from its static folder (no open file per request)."""
    return redirect(url_for("rq_dashboard.static", filename="favicon.ico"))


def _setup(state) -> None:
    """On registration: Redis for the dashboard, and an access rule per view."""
    app = state.app
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    setup_rq_connection(app)
    app.view_functions[f"{bp.name}.favicon"] = favicon
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(f"{bp.name}.") and not hasattr(view, "access_rule"):
            app.view_functions[endpoint] = access.requires(CAPABILITY)(view)


bp.before_request_funcs.setdefault(None, []).insert(0, guard)
bp.after_request(relaxed_csp)
bp.record(_setup)
