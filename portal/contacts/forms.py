"""Forms of the contact log: assigning a problem and recording what was done."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.contacts.followup import ACTIONS


class AssignForm(FlaskForm):
    assignee_id = SelectField("Assign to", coerce=int, validators=[DataRequired()])


class ResolveForm(FlaskForm):
    action = RadioField(
        "What did you do?",
        choices=[SelectChoice(value, label) for value, label in ACTIONS.items()],
        validators=[DataRequired(message="Choose what was done.")],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])
