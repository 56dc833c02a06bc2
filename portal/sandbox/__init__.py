"""A Plivo-compatible sandbox for development, demos, tests and benchmarks.

A separate small Flask app (never part of the portal's blueprints) that
speaks the slice of Plivo's REST API the portal uses and plays the part of
the families' phones. See docs/sandbox.md.
"""

from flask import Flask, jsonify

from portal.sandbox.core import Sandbox
from portal.sandbox.settings import SandboxSettings

__all__ = ["Sandbox", "SandboxSettings", "create_sandbox_app"]


def create_sandbox_app(settings: SandboxSettings | dict | None = None) -> Flask:
    """Build the sandbox app; its state is `app.extensions["plivo_sandbox"]`."""
    from portal.sandbox import control, records
    from portal.sandbox.fastlane import FastLane

    if not isinstance(settings, SandboxSettings):
        base = SandboxSettings()
        base.update(settings or {})
        settings = base

    app = Flask(__name__)
    app.json.sort_keys = False
    sandbox = app.extensions["plivo_sandbox"] = Sandbox(settings)
    app.register_blueprint(records.bp)
    app.register_blueprint(control.bp)
    app.wsgi_app = FastLane(app.wsgi_app, sandbox)

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True})

    @app.errorhandler(404)
    def not_found(error):
        return jsonify({"error": "not found"}), 404

    @app.errorhandler(405)
    def not_allowed(error):
        return jsonify({"error": "method not allowed"}), 405

    return app
