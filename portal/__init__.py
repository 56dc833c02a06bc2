"""The District Notification Portal: `create_app(config)` builds the app."""

import logging
from pathlib import Path

from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, render_template, request
from werkzeug.exceptions import HTTPException

from portal import logs, security
from portal.config import Config
from portal.extensions import csrf, db, htmx, login_manager, migrate

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The settings are not safe to run with; the message says which."""


def create_app(config: Config | None = None) -> Flask:
    """Build the portal from an explicit config (the environment by default)."""
    config = config or Config.from_env()
    problems = config.problems()
    if problems:
        raise ConfigurationError("refusing to start: " + "; ".join(problems))

    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(config.flask_settings())
    logs.configure()

    _init_extensions(app)
    _register_blueprints(app)
    _register_errors(app)
    _guard_unmarked_views(app)
    security.init_app(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.accounts import sessions

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.signin"
    login_manager.request_loader(sessions.load_user_from_request)
    login_manager.user_loader(lambda _id: None)
    login_manager.session_protection = None

    # One OAuth registry per app: Authlib caches clients by name, so a shared
    # registry would keep the first app's issuer for every app built later.
    registry = OAuth(app)
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    registry.register(
        "district",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
        overwrite=True,
    )
    # Import every model so that metadata (and Alembic) sees all tables.
    import portal.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from portal.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Error pages that say what happened and reveal nothing else."""
        if request.headers.get("HX-Request"):
            return render_template("_partials/error.html", error=error), error.code
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        logger.error("unhandled_error endpoint=%s", request.endpoint, exc_info=error)
        db.session.rollback()
        return render_template("errors/error.html", error=None), 500


def _guard_unmarked_views(app: Flask) -> None:
    """Fail closed: a view without an explicit access rule is refused."""

    @app.before_request
    def require_access_rule():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "access_rule", None) is None:
            logger.error("view_without_access_rule endpoint=%s", request.endpoint)
            abort(403)
        return None


def _register_cli(app: Flask) -> None:
    from portal.cli import COMMAND_GROUPS

    for group in COMMAND_GROUPS:
        app.cli.add_command(group)
