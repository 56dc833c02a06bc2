"""The delivery blueprint (pages, provider callbacks, audio links)."""

from flask import Blueprint

bp = Blueprint("delivery", __name__, url_prefix="/delivery")
