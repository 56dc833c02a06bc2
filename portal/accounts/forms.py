"""Forms of the accounts area: the account request and IT's decision."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.accounts.requests import KINDS
from portal.policy import ROLE_LABELS


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class AccountRequestForm(FlaskForm):
    """The IT Services Account Request Form."""

    kind = RadioField(
        "What should change",
        choices=[SelectChoice(k, v) for k, v in KINDS.items()],
        default="add",
    )
    staff_member_id = SelectField(
        "Person (from the staff directory)", coerce=_int_or_none
    )
    building_id = SelectField("Building", coerce=_int_or_none)
    role = SelectField("Role")
    starts_on = DateField("Designee from", validators=[Optional()])
    ends_on = DateField("Designee until (last day)", validators=[Optional()])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Send to IT")

    def fill_choices(self, staff, buildings, roles) -> None:
        """Offer only the people, buildings and roles this requester may use."""
        self.staff_member_id.choices = [SelectChoice(None, "Choose a person")] + [
            SelectChoice(s.id, f"{s.last_name}, {s.first_name} ({s.employee_number})")
            for s in staff
        ]
        self.building_id.choices = [SelectChoice(None, "District (no building)")] + [
            SelectChoice(b.id, f"{b.name} ({b.code})") for b in buildings
        ]
        self.role.choices = [SelectChoice("", "No role (remove: all in scope)")] + [
            SelectChoice(str(r), ROLE_LABELS[r]) for r in roles
        ]


class FulfilForm(FlaskForm):
    """IT fulfils: optionally names the sign-in subject of a new account."""

    subject = StringField(
        "Sign-in subject (blank: the person's e-mail address)",
        validators=[Optional(), Length(max=255)],
    )
    comment = TextAreaField("Comment to the requester", validators=[Length(max=2000)])
    submit = SubmitField("Fulfil")


class DeclineForm(FlaskForm):
    """IT declines, saying why."""

    comment = TextAreaField(
        "Why it is declined", validators=[DataRequired(), Length(max=2000)]
    )
    submit = SubmitField("Decline")
