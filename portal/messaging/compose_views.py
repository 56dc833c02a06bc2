"""The compose page: one page that grows step by step, saved by htmx forms.

Each step posts to its own endpoint, which saves through the service layer
and answers htmx with the `_compose.html` partial (a full page otherwise).
"""

from datetime import date, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.accounts.access import building_scope, requires
from portal.accounts.training import require_current_training
from portal.directory.models import Building, Student
from portal.extensions import db
from portal.messaging import audience, audio, rules, schedule, sending, service, sms
from portal.messaging.views import actions_for, bp, load_message
from portal.policy import (
    BUILDING_CATEGORIES,
    DISTRICT_CATEGORIES,
    KIND_LABELS,
    QUIET_HOURS_EXEMPT,
    SITUATIONS,
    Kind,
)

CAP = "messages.compose"


def _composable_buildings() -> tuple[bool, list[Building]]:
    """Whether the user may pick district scope, and the buildings offered."""
    scope = building_scope(current_user, CAP)
    query = select(Building).where(Building.active.is_(True)).order_by(Building.name)
    if scope is not None:
        query = query.where(Building.id.in_(scope))
    return scope is None, db.session.scalars(query).all()


@bp.route("/new", methods=["GET", "POST"])
@requires(CAP)
@require_current_training
def new():
    """Step 1: kind, scope, situation or category, and a title."""
    district, buildings = _composable_buildings()
    if request.method == "POST":
        form = request.form
        scope = form.get("scope", "")
        if form.get("kind") not in rules.COMPOSABLE_KINDS:
            flash("Choose the kind of message.", "error")
            return redirect(url_for("messaging.new"))
        building_id = None if scope == "district" else _int(scope)
        if building_id is not None and building_id not in {b.id for b in buildings}:
            abort(404)
        try:
            message = service.create_draft(
                current_user,
                kind=form.get("kind", ""),
                building_id=building_id,
                title=form.get("title", ""),
                category=form.get("category") or None,
                situation=form.get("situation") or None,
            )
        except service.MessagingError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("messaging.compose", message_id=message.id))
    return render_template(
        "messaging/new.html",
        district=district,
        buildings=buildings,
        kinds=rules.COMPOSABLE_KINDS,
        kind_labels=KIND_LABELS,
        situations=SITUATIONS,
        district_categories=DISTRICT_CATEGORIES,
        building_categories=BUILDING_CATEGORIES,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.get("/<int:message_id>/compose")
@requires(CAP)
@require_current_training
def compose(message_id: int):
    """The growing compose page for one draft."""
    message = load_message(message_id, CAP)
    if message.state not in service.EDITABLE:
        return redirect(url_for("messaging.detail", message_id=message.id))
    return _render(message)


def _render(message, error: str | None = None):
    context = compose_context(message)
    template = "messaging/_compose.html" if request.htmx else "messaging/compose.html"
    return render_template(template, error=error, **context)


def compose_context(message) -> dict:
    """Everything the compose page shows for a draft."""
    summary = audience.cached_summary(message.audience, message.channels)
    variants = {v.language: v for v in message.variants}
    languages = sorted(
        {r["language"] for r in summary["rows"]} | set(variants) | {"en"},
        key=lambda x: (x != "en", x),
    )
    return {
        "message": message,
        "summary": summary,
        "variants": variants,
        "languages": languages,
        "lengths": {lang: sms.measure(v.text) for lang, v in variants.items()},
        "coverage": coverage(message, summary, variants),
        "timing": timing(message),
        "problems": service.readiness(message),
        "actions": actions_for(message),
        "grades": _grades(message),
        "buildings": _audience_buildings(message),
        "kind_labels": KIND_LABELS,
        "situations": SITUATIONS,
        "categories": DISTRICT_CATEGORIES
        if message.building_id is None
        else BUILDING_CATEGORIES,
        "max_mb": audio.MAX_RECORDING_BYTES // (1024 * 1024),
    }


def coverage(message, summary, variants) -> list[dict]:
    """Per language: households, and whether they get their own text and voice."""
    calls = "phone" in (message.channels or [])
    written = bool({"sms", "email"} & set(message.channels or []))
    rows = []
    for row in summary["rows"]:
        variant = variants.get(row["language"])
        english = variants.get("en")
        text = _source(variant and variant.text, english and english.text, written)
        voice = _source(
            variant and variant.recording_id, english and english.recording_id, calls
        )
        rows.append({**row, "text": text, "voice": voice})
    return rows


def _source(own, english, used: bool) -> str:
    """own | english | missing | unused, for one part of one language."""
    if not used:
        return "unused"
    if own:
        return "own"
    return "english" if english else "missing"


def timing(message) -> dict:
    """When the message would go, with the calling window that applies."""
    building = sending.home_building(message)
    zone, eod, window = sending.building_clock(building)
    now = clock.now()
    go_at = schedule.send_time(message.send_mode, now, message.scheduled_for, zone, eod)
    exempt = Kind(message.kind) in QUIET_HOURS_EXEMPT
    first_call = go_at if exempt else schedule.next_opening(go_at, zone, *window)
    return {
        "timezone": zone,
        "end_of_day": eod,
        "window": window,
        "exempt": exempt,
        "go_at": go_at,
        "first_call": first_call,
        "waits": first_call > go_at,
    }


def _grades(message) -> list[str]:
    ids = audience.building_ids(message.audience)
    query = select(Student.grade).where(Student.active.is_(True)).distinct()
    if ids is not None:
        query = query.where(Student.building_id.in_(ids))
    grades = db.session.scalars(query).all()
    return sorted(grades, key=lambda g: (len(g), g))


def _audience_buildings(message) -> list[Building]:
    if message.building_id is not None:
        return [db.session.get(Building, message.building_id)]
    query = select(Building).where(Building.active.is_(True)).order_by(Building.name)
    return db.session.scalars(query).all()


def _step(message, action, *args, **kwargs):
    """Run one service step for the user; answer with the compose partial."""
    try:
        action(message, current_user, *args, **kwargs)
    except service.NotAllowed:
        abort(403)
    except service.MessagingError as error:
        db.session.rollback()
        return _render(message, str(error))
    return _render(message)


def _save(message, **changes):
    """Save draft fields through the service."""
    return _step(message, service.edit_draft, **changes)


@bp.post("/<int:message_id>/basics")
@requires(CAP)
@require_current_training
def save_basics(message_id: int):
    """Step 1 again: title, situation or category."""
    message = load_message(message_id, CAP)
    form = request.form
    changes = {
        "title": (form.get("title") or message.title).strip()[:200],
        "category": form.get("category") or message.category,
        "situation": form.get("situation") or message.situation,
    }
    if changes["situation"] != message.situation:
        # A new situation brings its own default timing (procedure's table).
        changes["send_mode"] = service.default_mode(message.kind, changes["situation"])
    return _save(message, **changes)


def _audience_from_form(message) -> dict:
    form = request.form
    if message.building_id is not None:
        buildings = [message.building_id]
    elif form.get("all_buildings") or not form.getlist("buildings"):
        buildings = "all"
    else:
        buildings = sorted({b for b in map(_int, form.getlist("buildings")) if b})
    grades = [g for g in form.getlist("grades") if g] or "all"
    groups = [g for g in form.getlist("groups") if g in service.GROUPS]
    return {"buildings": buildings, "grades": grades, "groups": groups}


@bp.post("/<int:message_id>/audience")
@requires(CAP)
@require_current_training
def save_audience(message_id: int):
    """Step 2: buildings, grades, guardians and/or staff."""
    message = load_message(message_id, CAP)
    return _save(message, audience=_audience_from_form(message))


@bp.post("/<int:message_id>/audience/count")
@requires(CAP)
@require_current_training
def audience_count(message_id: int):
    """The live count of households and people for the audience being chosen."""
    message = load_message(message_id, CAP)
    chosen = _audience_from_form(message)
    summary = audience.cached_summary(chosen, message.channels)
    return render_template("messaging/_audience_count.html", summary=summary)


@bp.post("/<int:message_id>/channels")
@requires(CAP)
@require_current_training
def save_channels(message_id: int):
    """Step 3: phone, SMS and/or e-mail."""
    message = load_message(message_id, CAP)
    chosen = [c for c in service.CHANNELS if c in request.form.getlist("channels")]
    return _save(message, channels=chosen)


@bp.post("/<int:message_id>/text")
@requires(CAP)
@require_current_training
def save_text(message_id: int):
    """Step 4: the written text (and e-mail subject) in one language."""
    message = load_message(message_id, CAP)
    form = request.form
    return _step(
        message,
        service.set_variant,
        form.get("language", ""),
        form.get("subject", ""),
        form.get("text", ""),
    )


@bp.post("/sms-length")
@requires(CAP)
@require_current_training
def sms_length():
    """Characters and SMS segments of the text being typed."""
    length = sms.measure(request.form.get("text", ""))
    return render_template("messaging/_sms_length.html", length=length)


@bp.post("/<int:message_id>/recordings")
@requires(CAP)
@require_current_training
def upload_recording(message_id: int):
    """Step 4: a voice recording, uploaded or recorded in the browser."""
    message = load_message(message_id, CAP)
    upload = request.files.get("audio")
    # htmx swaps only 2xx answers, so a refusal it must show comes back 200.
    refused = 200 if request.htmx else 422
    if upload is None:
        return _render(message, "Choose an audio file to upload."), refused
    data = upload.read(audio.MAX_RECORDING_BYTES + 1)
    try:
        service.attach_recording(
            message, current_user, request.form.get("language", ""), data
        )
    except service.NotAllowed:
        abort(403)
    except (service.MessagingError, audio.RecordingRefused) as error:
        db.session.rollback()
        return _render(message, str(error)), refused
    return _render(message)


@bp.post("/<int:message_id>/schedule")
@requires(CAP)
@require_current_training
def save_schedule(message_id: int):
    """Step 6: now, end of the building's day, or a date and time."""
    message = load_message(message_id, CAP)
    mode = request.form.get("send_mode", schedule.NOW)
    at = None
    if mode == schedule.AT:
        at = _local_moment(message, request.form.get("at", ""))
        if at is None:
            return _render(message, "Give the date and time as shown.")
    return _save(message, send_mode=mode, scheduled_for=at)


def _local_moment(message, value: str):
    """A datetime-local value read in the building's timezone, as UTC."""
    try:
        day_text, time_text = value.split("T", 1)
        day = date.fromisoformat(day_text)
        at = time.fromisoformat(time_text)
    except ValueError:
        return None
    zone, _eod, _window = sending.building_clock(sending.home_building(message))
    return schedule.local_to_utc(day, at.replace(second=0, microsecond=0), zone)
