"""Attendance pages: the clerk's day, holds, uploads, templates, the report."""

from collections import Counter
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from jobs import attendance as attendance_jobs
from portal import clock
from portal.accounts import access, audit
from portal.accounts.access import requires
from portal.attendance import (
    holds,
    households,
    importer,
    report,
    service,
    voice,
    wording,
)
from portal.attendance.forms import TemplateForm, UploadForm
from portal.attendance.models import Absence, AttendanceTemplate
from portal.directory.models import Building
from portal.extensions import db
from portal.main import home_cards, nav
from portal.models_base import utcnow
from portal.telephony import tts

bp = Blueprint("attendance", __name__, url_prefix="/attendance")
PREVIEW_NAMES = ["Alex Sample", "Sam Sample"]


def _building(capability: str, building_id: int) -> Building:
    access.require_building(capability, building_id)
    building = db.session.get(Building, building_id)
    if building is None:
        abort(404)
    return building


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return clock.today()


def _buildings_in_scope(capability: str) -> list[Building]:
    scope = access.building_scope(current_user, capability)
    query = select(Building).where(Building.kind == "school").order_by(Building.name)
    if scope is not None:
        query = query.where(Building.id.in_(scope))
    return list(db.session.scalars(query))


@bp.get("/")
@requires("attendance.view")
def index():
    """The buildings whose absences this person sees; one goes straight in."""
    buildings = _buildings_in_scope("attendance.view")
    if len(buildings) == 1:
        return redirect(url_for(".day", building_id=buildings[0].id))
    return render_template("attendance/index.html", buildings=buildings)


@bp.get("/<int:building_id>")
@requires("attendance.view")
def day(building_id: int):
    """One building's absences for a day, and after the run who was reached."""
    building = _building("attendance.view", building_id)
    when = _day()
    audit.record_view(
        "attendance.absences_viewed",
        target=f"building:{building.id}",
        building_id=building.id,
        date=when.isoformat(),
    )
    return render_template("attendance/day.html", **_calls_context(building, when))


@bp.get("/<int:building_id>/calls")
@requires("attendance.view")
def calls(building_id: int):
    """The day's list again, polled by the open page while the calls go.

    Not audited: it refreshes the view `day` recorded, for the same person.
    """
    building = _building("attendance.view", building_id)
    return render_template("attendance/_calls.html", **_calls_context(building, _day()))


def _calls_context(building: Building, when: date) -> dict:
    """The absences, the run and each child's outcome, for `day` and `calls`."""
    run = holds.run_for(building.id, when)
    outcomes = report.outcomes_by_student(db.session, run.message_id if run else None)
    going = run is None or run.status != "dispatched" or "calling" in outcomes.values()
    return {
        "building": building,
        "day": when,
        "run": run,
        "absences": households.absences_for(building.id, when),
        "outcomes": outcomes,
        "tally": Counter(outcomes.values()),
        "labels": report.OUTCOME_LABELS,
        "can_hold": access.holds(current_user, "attendance.hold", building.id),
        # The page follows the calls of today while any can still change.
        "watching": when == clock.today() and going,
    }


# What the clerk is told on releasing a hold, by `holds.release_outcome`.
RELEASE_NOTES = {
    "before_run": None,
    "calling": "Released: this family will be called in a few minutes.",
    "called": (
        "Released, but this family's phone was already called today (about "
        "this child or a brother or sister) and is not called twice: phone "
        "them yourself if they need to know."
    ),
    "no_phone": "Released: no phone is on file for this child's guardians.",
}


@bp.post("/absences/<int:absence_id>/hold")
@requires("attendance.hold")
def hold(absence_id: int):
    """Hold (or release) a corrected absence; returns its table row."""
    absence = db.session.get(Absence, absence_id)
    if absence is None:
        abort(404)
    building = _building("attendance.hold", absence.building_id)
    absence.held = request.form.get("held") == "1"
    absence.held_by_id = current_user.id if absence.held else None
    absence.held_at = utcnow() if absence.held else None
    cancelled = holds.cancel_held(absence) if absence.held else 0
    released = None if absence.held else holds.release_outcome(absence)
    audit.record(
        "attendance.hold" if absence.held else "attendance.unhold",
        target=f"absence:{absence.id}",
        building_id=building.id,
        cancelled_deliveries=cancelled,
        release=released,
    )
    db.session.commit()
    if released == "calling":
        attendance_jobs.enqueue_run(absence.building_id, absence.date)
    return render_template(
        "attendance/_absence_row.html",
        absence=absence,
        outcomes={},
        labels=report.OUTCOME_LABELS,
        can_hold=True,
        note=RELEASE_NOTES.get(released),
    )


@bp.route("/upload", methods=["GET", "POST"])
@requires("attendance.hold")
def upload():
    """A clerk's absences file for their own buildings (all or nothing)."""
    form = UploadForm()
    result = None
    if form.validate_on_submit():
        scope = access.building_scope(current_user, "attendance.hold")
        upload_file = form.file.data
        result = importer.import_absences(
            upload_file.read(),
            upload_file.filename or "absences.csv",
            actor=current_user.email,
            allowed_buildings=scope,
        )
        if result.ok:
            flash(
                f"Imported {result.counts['unexcused']} unexcused absences.", "success"
            )
            return redirect(url_for(".upload"))
        flash("The file was not imported: nothing changed.", "error")
    return render_template("attendance/upload.html", form=form, result=result)


@bp.get("/templates")
@requires("attendance.templates")
def templates():
    """Every language's call template, saved or built in."""
    saved = {t.language: t for t in db.session.scalars(select(AttendanceTemplate))}
    languages = sorted(set(saved) | set(wording.DEFAULT_TEMPLATES))
    return render_template(
        "attendance/templates.html",
        rows=[wording.template_for(lang) for lang in languages],
        saved=saved,
        choices={lang: service.call_language(lang) for lang in languages},
    )


@bp.route("/templates/<language>", methods=["GET", "POST"])
@requires("attendance.templates")
def edit_template(language: str):
    """Edit one language's template; preview and listen before saving."""
    language = _language(language)
    current = wording.template_for(language)
    form = TemplateForm(obj=current)
    if form.validate_on_submit():
        row = db.session.scalar(
            select(AttendanceTemplate).where(AttendanceTemplate.language == language)
        ) or AttendanceTemplate(language=language)
        form.populate_obj(row)
        row.updated_by = current_user.email
        row.updated_at = utcnow()
        db.session.add(row)
        audit.record("attendance.template_saved", target=f"template:{language}")
        db.session.commit()
        flash(f"The {language} template was saved.", "success")
        return redirect(url_for(".templates"))
    return render_template(
        "attendance/edit_template.html",
        form=form,
        language=language,
        choice=service.call_language(language),
    )


@bp.post("/templates/<language>/preview")
@requires("attendance.templates")
def preview_template(language: str):
    """The unsaved text with sample names, as read and as heard."""
    language = _language(language)
    form = TemplateForm()
    problems = wording.check_template(form.text.data or "")
    words = wording.Wording(
        language, form.subject.data or "", form.text.data or "", form.and_word.data
    )
    text = wording.render(
        words, words.text, PREVIEW_NAMES, "Sample School", clock.today()
    )
    clip_id, note = (None, None) if problems else _preview_clip(language, text)
    return render_template(
        "attendance/_preview.html",
        text=text,
        problems=problems,
        clip_id=clip_id,
        note=note,
    )


def _preview_clip(language: str, text: str):
    """Synthesize a preview (espeak-ng offline, else the configured engine)."""
    engine = "espeak" if tts.ENGINES["espeak"].speaks(language) else None
    engine = engine or tts.choose_voice(language).engine
    if not tts.get_engine(engine).makes_audio:
        return None, "Plivo will speak this text during the call; no preview audio."
    try:
        clip = tts.clip_for(engine, language, text)
    except tts.TtsError:
        return None, "The speech engine could not read this text just now."
    db.session.commit()
    allowed = session.get("attendance_previews", [])[-19:]
    session["attendance_previews"] = [*allowed, clip.id]
    return clip.id, f"Read by {engine}."


@bp.get("/previews/<int:clip_id>")
@requires("attendance.templates")
def preview_audio(clip_id: int):
    """The audio of a preview this person made (no other clips)."""
    if clip_id not in session.get("attendance_previews", []):
        abort(404)
    clip = db.session.get(tts.TtsClip, clip_id)
    if clip is None:
        abort(404)
    return send_file(tts.clip_path(clip), mimetype=clip.mime_type, max_age=0)


@bp.get("/report/<int:building_id>")
@requires("attendance.view")
def building_report(building_id: int):
    """A building's day in figures, with the last 30 days as a chart."""
    building = _building("attendance.view", building_id)
    when = _day()
    points = report.trend(db.session, building.id, when)
    return render_template(
        "attendance/building_report.html",
        building=building,
        day=when,
        today=points[-1],
        points=points,
        chart=report.chart(points),
    )


def _language(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 10 or not code.replace("-", "").isalnum():
        abort(404)
    return code


@home_cards.register("attendance.view")
def attendance_card(user) -> list[home_cards.Card]:
    """Today's absences in the buildings this person sees."""
    scope = access.building_scope(user, "attendance.view")
    query = select(func.count(Absence.id)).where(Absence.date == clock.today())
    if scope is not None:
        query = query.where(Absence.building_id.in_(scope))
    count = db.session.scalar(query) or 0
    return [
        home_cards.Card(
            title="Attendance calls",
            text="Unexcused absences imported for today.",
            url=url_for("attendance.index"),
            link_text="Review absences",
            count=count,
        )
    ]


nav.add("Attendance", "attendance.index", "attendance.view", 40)
voice.register()
