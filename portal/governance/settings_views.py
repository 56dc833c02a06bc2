"""The IT administrator's settings page: notices, hours, limits, rates, codes."""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal import district_settings
from portal.accounts import access
from portal.directory.models import Building
from portal.extensions import db
from portal.governance import settings_service as service
from portal.governance.settings_service import NOTICE_KEYS, SettingError
from portal.main import nav
from portal.policy import NOTICE_LABELS, Notice

logger = logging.getLogger(__name__)
bp = Blueprint("settings", __name__, url_prefix="/settings")

nav.add("Settings", "settings.index", "settings.edit", 85)
# Where the attendance area's template editor may live; the first that exists.
TEMPLATE_EDITOR_ENDPOINTS = ("attendance.templates", "attendance.template_list")


def _notice_field(notice: Notice) -> TextAreaField:
    return TextAreaField(
        f"{NOTICE_LABELS[notice]}: addresses", validators=[DataRequired()]
    )


class DistrictForm(FlaskForm):
    """Every district-wide setting on one form."""

    notice_board = _notice_field(Notice.BOARD)
    notice_alt = _notice_field(Notice.ALT)
    notice_ssc_receptionist = _notice_field(Notice.SSC_RECEPTIONIST)
    notice_hr = _notice_field(Notice.HR)
    district_contact = StringField(
        "District contact (said in SMS HELP replies)",
        validators=[DataRequired(), Length(max=200)],
    )
    outreach_per_household_7d = IntegerField(
        "Outreach messages per household in 7 days",
        validators=[InputRequired(), NumberRange(1, 21)],
    )
    fundraising_per_building_30d = IntegerField(
        "Fundraising messages per building in 30 days",
        validators=[InputRequired(), NumberRange(0, 30)],
    )
    provider_calls_per_second = FloatField(
        "Provider calls per second", validators=[Optional()]
    )
    provider_messages_per_second = FloatField(
        "Provider messages per second", validators=[Optional()]
    )
    unexcused_codes = StringField(
        "Unexcused absence codes", validators=[DataRequired()]
    )
    training_required_to_compose = BooleanField(
        "Require current training (last 12 months) before composing"
    )

    def cleaned(self) -> dict:
        """Checked values by setting key; field errors added when not valid."""
        values = {}
        checks = dict.fromkeys(NOTICE_KEYS, service.parse_emails)
        checks["unexcused_codes"] = service.parse_codes
        checks["provider_calls_per_second"] = service.check_rate
        checks["provider_messages_per_second"] = service.check_rate
        for key in district_settings.DEFAULTS:
            field = getattr(self, key, None)
            if field is None:
                continue
            try:
                check = checks.get(key)
                values[key] = check(field.data) if check else field.data
            except SettingError as error:
                field.errors.append(str(error))
        return values


class HoursForm(FlaskForm):
    """One building's calling window and end of day."""

    calling_window_start = TimeField("Calls from", validators=[DataRequired()])
    calling_window_end = TimeField("Calls until", validators=[DataRequired()])
    end_of_day = TimeField("End of day", validators=[DataRequired()])


def _district_form(formdata=None) -> DistrictForm:
    data = {key: district_settings.get(key) for key in district_settings.DEFAULTS}
    for key in NOTICE_KEYS:
        data[key] = "\n".join(data[key])
    data["unexcused_codes"] = ", ".join(data["unexcused_codes"])
    if formdata is None:
        return DistrictForm(data=data)
    return DistrictForm()


def _template_editor_url() -> str | None:
    for endpoint in TEMPLATE_EDITOR_ENDPOINTS:
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint)
            except BuildError:
                continue
    return None


def _page(form, hours_forms=None, status=200):
    buildings = db.session.scalars(select(Building).order_by(Building.name)).all()
    hours_forms = hours_forms or {}
    for building in buildings:
        if building.id not in hours_forms:
            hours_forms[building.id] = HoursForm(prefix=f"b{building.id}", obj=building)
    rates = {key: service.effective_rate(key) for key in service.RATE_CONFIG}
    return (
        render_template(
            "governance/settings.html",
            form=form,
            buildings=buildings,
            hours_forms=hours_forms,
            rates=rates,
            template_editor_url=_template_editor_url(),
        ),
        status,
    )


@bp.get("/")
@access.requires("settings.edit")
def index():
    """All district settings and each building's hours."""
    return _page(_district_form())


@bp.post("/")
@access.requires("settings.edit")
def save():
    """Store the district settings that changed, each audited old → new."""
    form = _district_form(formdata=True)
    valid = form.validate()
    values = form.cleaned()
    if not valid or any(f.errors for f in form):
        return _page(form, status=422)
    changed = [
        key for key, value in values.items() if service.change(key, value, current_user)
    ]
    db.session.commit()
    logger.info("settings_saved changed=%s", ",".join(changed) or "none")
    flash(f"Saved. {len(changed)} setting(s) changed.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/buildings/<int:building_id>")
@access.requires("settings.edit")
def save_hours(building_id: int):
    """Store one building's calling window and end of day."""
    building = db.session.get(Building, building_id)
    if building is None:
        abort(404)
    form = HoursForm(prefix=f"b{building.id}")
    if form.validate():
        try:
            service.change_hours(
                building,
                form.calling_window_start.data,
                form.calling_window_end.data,
                form.end_of_day.data,
                current_user,
            )
        except SettingError as error:
            form.calling_window_end.errors.append(str(error))
    if form.errors or any(f.errors for f in form):
        db.session.rollback()
        return _page(_district_form(), {building.id: form}, status=422)
    db.session.commit()
    flash(f"Hours saved for {building.name}.", "success")
    return redirect(url_for("settings.index") + f"#building-{building.id}")
