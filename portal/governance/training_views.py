"""Training: record sessions and attendees; see who is due."""

import csv
import io
import logging

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal import clock, district_settings
from portal.accounts import access, training
from portal.accounts.audit_search import safe_cell
from portal.accounts.models import PortalUser
from portal.accounts.training import TrainingSession
from portal.extensions import db
from portal.main import home_cards, nav

logger = logging.getLogger(__name__)
bp = Blueprint("training", __name__, url_prefix="/training")

nav.add("Training", "training.index", "training.manage", 74)


@home_cards.register("training.manage")
def _due_card(_user):
    due = len(training.roster(only_due=True))
    return [
        home_cards.Card(
            "Training due",
            "Portal users whose annual training is due.",
            url_for("training.index", due="1"),
            "See who is due",
            count=due,
        )
    ]


class SessionForm(FlaskForm):
    """A training session and who attended."""

    held_on = DateField("Date held", validators=[DataRequired()])
    topic = StringField("Topic", validators=[DataRequired(), Length(max=200)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    attendees = SelectMultipleField(
        "Who attended",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


@bp.get("/")
@access.requires("training.manage")
def index():
    """Each user's last training and whether it is due; recent sessions."""
    only_due = request.args.get("due") == "1"
    sessions = db.session.scalars(
        select(TrainingSession).order_by(TrainingSession.held_on.desc()).limit(20)
    ).all()
    return render_template(
        "governance/training.html",
        rows=training.roster(only_due=only_due),
        only_due=only_due,
        sessions=sessions,
        required=district_settings.get(training.SETTING),
    )


@bp.get("/due.csv")
@access.requires("training.manage")
def due_csv():
    """Who is due, as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "last_training", "due_on"])
    for row in training.roster(only_due=True):
        user = row["user"]
        writer.writerow(
            safe_cell(v)
            for v in (user.display_name, user.email, row["last"], row["due_on"])
        )
    headers = {"Content-Disposition": "attachment; filename=training-due.csv"}
    return Response(buffer.getvalue(), mimetype="text/csv", headers=headers)


@bp.route("/sessions/new", methods=["GET", "POST"])
@access.requires("training.manage")
def new_session():
    """Record a session held and who attended."""
    form = SessionForm()
    if request.method == "GET":
        form.held_on.data = clock.today()
    users = db.session.scalars(
        select(PortalUser)
        .where(PortalUser.active.is_(True))
        .order_by(PortalUser.display_name)
    ).all()
    form.attendees.choices = [
        SelectChoice(u.id, f"{u.display_name} ({u.email})") for u in users
    ]
    if not form.validate_on_submit():
        return render_template("governance/new_session.html", form=form)
    if form.held_on.data > clock.today():
        form.held_on.errors.append("A session is recorded once it was held.")
        return render_template("governance/new_session.html", form=form), 422

    row = training.record_session(
        form.held_on.data,
        form.topic.data.strip(),
        form.attendees.data,
        notes=form.notes.data,
        by=current_user,
    )
    db.session.commit()
    logger.info(
        "training_recorded session=%s attendees=%s", row.id, len(row.attendances)
    )
    flash(f"Training recorded for {len(row.attendances)} people.", "success")
    return redirect(url_for("training.index"))
