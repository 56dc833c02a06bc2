"""Messages: the list, one message with its history, approvals and sending."""

import logging
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from portal.accounts.access import building_scope, require_building, requires
from portal.directory.models import Building
from portal.extensions import db
from portal.main import home_cards, nav
from portal.messaging import history, limits, rules, sending, service
from portal.messaging.models import Message, NoticeRecord, Recording
from portal.policy import KIND_LABELS

logger = logging.getLogger(__name__)
bp = Blueprint("messaging", __name__, url_prefix="/messages")
PAGE_SIZE = 50


def load_message(message_id: int, capability: str = "messages.view") -> Message:
    """The message, or 404 when missing or outside the user's buildings."""
    message = db.session.get(Message, message_id)
    if message is None:
        abort(404)
    require_building(capability, message.building_id)
    return message


@bp.app_template_filter("localtime")
def localtime(moment, timezone: str) -> str:
    """An aware UTC moment as wall-clock time in a building's timezone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def flash_error(error: service.MessagingError) -> None:
    """Show why the action was refused; nothing of it stays in the session."""
    db.session.rollback()
    flash(str(error), "error")


@bp.get("/")
@requires("messages.view")
def index():
    """Messages the user may see, filtered by state, kind and building."""
    query = select(Message).order_by(Message.updated_at.desc(), Message.id.desc())
    scope = building_scope(current_user, "messages.view")
    if scope is not None:
        query = query.where(Message.building_id.in_(scope))
    state = request.args.get("state") or ""
    kind = request.args.get("kind") or ""
    building = request.args.get("building", type=int)
    if state in service.STATES:
        query = query.where(Message.state == state)
    if kind in KIND_LABELS:
        query = query.where(Message.kind == kind)
    if building:
        query = query.where(Message.building_id == building)
    messages = db.session.scalars(query.limit(PAGE_SIZE)).all()
    buildings = _visible_buildings(scope)
    template = "messaging/_list.html" if request.htmx else "messaging/index.html"
    return render_template(
        template,
        messages=messages,
        buildings=buildings,
        states=service.STATES,
        filters={"state": state, "kind": kind, "building": building},
    )


def _visible_buildings(scope) -> list[Building]:
    query = select(Building).where(Building.active.is_(True)).order_by(Building.name)
    if scope is not None:
        query = query.where(Building.id.in_(scope))
    return db.session.scalars(query).all()


@bp.get("/<int:message_id>")
@requires("messages.view")
def detail(message_id: int):
    """One message: its content, approvals, notices and full history."""
    message = load_message(message_id)
    notices = db.session.scalars(
        select(NoticeRecord)
        .where(NoticeRecord.message_id == message.id)
        .order_by(NoticeRecord.id)
    ).all()
    return render_template(
        "messaging/detail.html",
        message=message,
        notices=notices,
        events=history.timeline(message),
        actions=actions_for(message),
        delivery_counts=_delivery_counts(message),
        progress_url=_progress_url(message),
    )


def _progress_url(message: Message) -> str | None:
    """The delivery area's progress page, when that area is installed."""
    try:
        return url_for("delivery.progress_page", message_id=message.id)
    except BuildError:
        return None


def _delivery_counts(message: Message) -> dict:
    from portal.delivery.models import Delivery

    rows = db.session.execute(
        select(Delivery.channel, func.count())
        .where(Delivery.message_id == message.id)
        .group_by(Delivery.channel)
    )
    return dict(rows.all())


def actions_for(message: Message) -> dict:
    """What the signed-in user may do to this message now."""
    roles = service.role_pairs(current_user)
    scope = service.scope_of(message)
    building = message.building_id
    editable = message.state in service.EDITABLE
    needed = service.required(message) if editable else frozenset()
    granted = service.granted(message)
    missing = needed - granted
    sender_roles = rules.roles_at(roles, building)
    return {
        "edit": editable and rules.may_compose(roles, message.kind, scope, building),
        "submit": message.state in (service.DRAFT, service.REJECTED)
        and rules.may_compose(roles, message.kind, scope, building),
        "send": editable
        and message.state != service.REJECTED
        and rules.may_send(roles, message.kind, scope, building, message.situation),
        "cancel": message.state in (service.SCHEDULED, service.DRAFT),
        "approve": sorted(
            k
            for k in missing
            if rules.may_approve(roles, k, message.kind, scope, building)
        ),
        "needed": sorted(needed),
        "missing": sorted(missing),
        # What still blocks this user's Send (a content approver approves
        # by sending).
        "blocking": sorted(rules.missing_approvals(needed, granted, sender_roles)),
        "limits": limits.statuses(message) if editable else [],
    }


@bp.get("/approvals")
@requires("messages.approve")
def queue():
    """Messages waiting for an approval the signed-in user may give."""
    waiting = waiting_for(current_user)
    return render_template("messaging/queue.html", waiting=waiting)


def waiting_for(user) -> list[tuple[Message, list[str]]]:
    """Pending messages and the approvals this user could give them."""
    roles = service.role_pairs(user)
    pending = db.session.scalars(
        select(Message)
        .where(Message.state == service.PENDING)
        .order_by(Message.kind != "emergency", Message.updated_at)
        .limit(200)
    ).all()
    found = []
    for message in pending:
        scope = service.scope_of(message)
        missing = service.required(message) - service.granted(message)
        mine = [
            k
            for k in sorted(missing)
            if rules.may_approve(roles, k, message.kind, scope, message.building_id)
        ]
        if mine:
            found.append((message, mine))
    return found


@bp.get("/<int:message_id>/advise")
@requires("messages.approve")
def advise(message_id: int):
    """The phone-sized page where the adviser approves an emergency."""
    message = load_message(message_id, "messages.approve")
    english = next((v for v in message.variants if v.language == "en"), None)
    return render_template(
        "messaging/advise.html",
        message=message,
        english=english,
        actions=actions_for(message),
    )


@bp.post("/<int:message_id>/decide")
@requires("messages.approve")
def decide(message_id: int):
    """Approve or reject one kind of approval, with a comment."""
    message = load_message(message_id, "messages.approve")
    kind = request.form.get("approval_kind", "")
    approve = request.form.get("decision") == "approve"
    back = request.form.get("back") == "advise"
    if kind not in rules.APPROVAL_KINDS:
        abort(400)
    try:
        service.decide(
            message, current_user, kind, approve, request.form.get("comment")
        )
    except service.NotAllowed:
        abort(403)
    except service.MessagingError as error:
        flash_error(error)
    else:
        flash("Approved." if approve else "Rejected; the author is told.", "success")
    target = "messaging.advise" if back else "messaging.detail"
    return redirect(url_for(target, message_id=message.id))


@bp.post("/<int:message_id>/submit")
@requires("messages.compose")
def submit(message_id: int):
    """Ask for the approvals the message needs."""
    message = load_message(message_id, "messages.compose")
    try:
        service.submit(message, current_user)
    except service.NotAllowed:
        abort(403)
    except service.MessagingError as error:
        flash_error(error)
        return redirect(url_for("messaging.compose", message_id=message.id))
    flash("Submitted for approval.", "success")
    return redirect(url_for("messaging.detail", message_id=message.id))


@bp.post("/<int:message_id>/send")
@requires("messages.compose")
def send(message_id: int):
    """Send (or schedule) the message; a second click changes nothing."""
    message = load_message(message_id, "messages.compose")
    try:
        count = sending.send(message.id, current_user.id)
    except service.NotAllowed:
        abort(403)
    except service.MessagingError as error:
        flash_error(error)
        return redirect(url_for("messaging.detail", message_id=message_id))
    if count:
        flash(f"Sent: {count} deliveries are on their way.", "success")
    else:
        flash("This message was already sent.", "warning")
    return redirect(url_for("messaging.detail", message_id=message_id))


@bp.post("/<int:message_id>/cancel")
@requires("messages.compose")
def cancel(message_id: int):
    """Cancel a draft, or a scheduled message before it goes."""
    message = load_message(message_id, "messages.compose")
    try:
        cancelled = sending.cancel(message.id, current_user.id)
    except service.NotAllowed:
        abort(403)
    except service.MessagingError as error:
        flash_error(error)
    else:
        flash(f"Cancelled ({cancelled} deliveries stopped).", "success")
    return redirect(url_for("messaging.detail", message_id=message_id))


@bp.get("/<int:message_id>/recordings/<int:recording_id>")
@requires("messages.view")
def recording_audio(message_id: int, recording_id: int):
    """Play back a recording of this message in the browser."""
    message = load_message(message_id)
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.message_id != message.id:
        abort(404)
    return Response(recording.audio, mimetype=recording.mime_type)


nav.add("Messages", "messaging.index", "messages.view", 20)
nav.add("Approvals", "messaging.queue", "messages.approve", 21)


@home_cards.register("messages.approve")
def approval_card(user) -> list:
    """How many messages wait for this user's approval."""
    count = len(waiting_for(user))
    return [
        home_cards.Card(
            title="Waiting for your approval",
            text="Messages that go only after you approve them.",
            url=url_for("messaging.queue"),
            link_text="Open the approval queue",
            count=count,
        )
    ]


@home_cards.register("messages.compose")
def compose_card(user) -> list:
    """The user's drafts, and a way to start a message."""
    drafts = db.session.scalar(
        select(func.count(Message.id)).where(
            Message.author_id == user.id,
            Message.state.in_([service.DRAFT, service.REJECTED]),
        )
    )
    return [
        home_cards.Card(
            title="Messages",
            text=f"You have {drafts} draft(s) or returned message(s).",
            url=url_for("messaging.new"),
            link_text="Compose a message",
            count=drafts,
        )
    ]


from portal.messaging import compose_views  # noqa: E402, F401 - registers views
