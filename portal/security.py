"""Response headers that every page, partial and error carries."""

from urllib.parse import urlsplit

from flask import Flask, request
from flask_login import current_user

# No inline script or style, no eval: htmx runs with allowEval off and reads
# its configuration from a <meta> tag.
CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def content_security_policy(issuer: str = "") -> str:
    """The CSP header value for a portal signing in at `issuer`.

    Browsers apply form-action to redirects too: the sign-in form posts to
    the portal, which redirects to the provider, so its origin is allowed.
    """
    directives = list(CSP_DIRECTIVES)
    parts = urlsplit(issuer)
    if parts.scheme in ("http", "https") and parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc}"
        directives[directives.index("form-action 'self'")] += f" {origin}"
    return "; ".join(directives)


CSP = content_security_policy()


def init_app(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] == "production"
    csp = content_security_policy(app.config.get("OIDC_ISSUER", ""))

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), geolocation=(), microphone=(self)"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if production:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if current_user and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        if request.endpoint != "static":
            response.vary.add("HX-Request")
        return response
