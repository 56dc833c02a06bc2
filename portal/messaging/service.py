"""Drafts, their language variants and recordings, and approvals.

Every function checks the policy through `portal.messaging.rules`, audits
inside the transaction and commits. Sending lives in `sending.py`.
"""

import hashlib
import logging
import re

from sqlalchemy import select, update

from portal import clock
from portal.accounts import audit
from portal.extensions import db
from portal.messaging import audio, limits, rules, schedule
from portal.messaging.models import Approval, Message, MessageVariant, Recording
from portal.policy import (
    BUILDING_CATEGORIES,
    DISTRICT_CATEGORIES,
    SITUATIONS,
    VOICE_SOURCE,
    Kind,
    Role,
)

logger = logging.getLogger(__name__)

DRAFT = "draft"
PENDING = "pending_approval"
APPROVED = "approved"
REJECTED = "rejected"
SCHEDULED = "scheduled"
SENT = "sent"
CANCELLED = "cancelled"
STATES = (DRAFT, PENDING, APPROVED, REJECTED, SCHEDULED, SENT, CANCELLED)
EDITABLE = frozenset({DRAFT, PENDING, APPROVED, REJECTED})
CHANNELS = ("phone", "sms", "email")
GROUPS = ("guardians", "staff")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


class MessagingError(Exception):
    """A request the policy or the message's state does not allow; says why."""


class NotAllowed(MessagingError):
    """The user's roles do not allow this action here."""


class WrongState(MessagingError):
    """The message is not in a state where this action applies."""


class NotReady(MessagingError):
    """The message lacks something it needs (text, recording, approval)."""


def role_pairs(user) -> list[tuple[Role, int | None]]:
    """The user's role assignments in force, as (role, building id) pairs."""
    return [(Role(r.role), r.building_id) for r in user.current_roles()]


def scope_of(message: Message):
    return rules.scope_for(message.building_id)


def _target(message: Message) -> str:
    return f"message:{message.id}"


def audit_message(action: str, message: Message, user, **details) -> None:
    audit.record(
        f"messaging.{action}",
        target=_target(message),
        building_id=message.building_id,
        user_id=user.id,
        actor=user.email,
        version=message.version,
        **details,
    )


def _require_compose(user, kind, building_id) -> None:
    scope = rules.scope_for(building_id)
    if not rules.may_compose(role_pairs(user), kind, scope, building_id):
        raise NotAllowed("You may not compose this kind of message here.")


def _check_basics(kind, building_id, category, situation) -> None:
    if Kind(kind) is Kind.EMERGENCY and situation not in SITUATIONS:
        raise NotReady("Choose the emergency situation (or other).")
    if Kind(kind) is Kind.OUTREACH:
        allowed = DISTRICT_CATEGORIES if building_id is None else BUILDING_CATEGORIES
        if category not in allowed:
            raise NotReady("Choose a category for this outreach message.")


def create_draft(user, *, kind, building_id, title, category=None, situation=None):
    """Start a draft of the given kind and scope; returns the message."""
    _require_compose(user, kind, building_id)
    _check_basics(kind, building_id, category, situation)
    buildings = "all" if building_id is None else [building_id]
    message = Message(
        kind=str(Kind(kind)),
        building_id=building_id,
        category=category if Kind(kind) is Kind.OUTREACH else None,
        situation=situation if Kind(kind) is Kind.EMERGENCY else None,
        title=(title or "").strip()[:200] or "Untitled message",
        audience={"buildings": buildings, "grades": "all", "groups": ["guardians"]},
        channels=[],
        state=DRAFT,
        version=1,
        author_id=user.id,
        send_mode=default_mode(kind, situation),
    )
    db.session.add(message)
    db.session.flush()
    audit_message("compose", message, user, kind=message.kind)
    db.session.commit()
    logger.info("message_composed message_id=%s kind=%s", message.id, message.kind)
    return message


def default_mode(kind, situation) -> str:
    """The timing the procedure gives a situation: now, or end of day."""
    if Kind(kind) is Kind.EMERGENCY and situation in SITUATIONS:
        timing = SITUATIONS[situation].timing
        return schedule.END_OF_DAY if timing == "end_of_day" else schedule.NOW
    return schedule.NOW


def _bump(message: Message, user, action: str, **details) -> None:
    """Record an edit: a new version, approvals voided, back to draft."""
    if message.state not in EDITABLE:
        raise WrongState("This message can no longer be changed.")
    _require_compose(user, message.kind, message.building_id)
    voided = db.session.execute(
        update(Approval)
        .where(Approval.message_id == message.id, Approval.voided.is_(False))
        .values(voided=True)
    ).rowcount
    db.session.expire(message, ["approvals"])
    message.version += 1
    message.state = DRAFT
    message.updated_at = clock.now()
    audit_message(action, message, user, voided_approvals=voided, **details)


def edit_draft(message: Message, user, **changes) -> Message:
    """Change the draft's fields; a new version, and approvals are voided."""
    allowed = {"title", "category", "situation", "audience", "channels"}
    allowed |= {"send_mode", "scheduled_for", "kind", "building_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    kind = changes.get("kind", message.kind)
    building_id = changes.get("building_id", message.building_id)
    _require_compose(user, kind, building_id)
    merged = {
        "category": changes.get("category", message.category),
        "situation": changes.get("situation", message.situation),
    }
    _check_basics(kind, building_id, merged["category"], merged["situation"])
    _validate_fields(changes, building_id)
    _bump(message, user, "edit", fields=sorted(changes))
    for name, value in changes.items():
        setattr(message, name, value)
    db.session.commit()
    return message


def _validate_fields(changes: dict, building_id) -> None:
    channels = changes.get("channels")
    if channels is not None and not set(channels) <= set(CHANNELS):
        raise NotReady("Unknown channel.")
    audience = changes.get("audience")
    if audience is not None:
        if not set(audience.get("groups", [])) <= set(GROUPS):
            raise NotReady("Unknown audience group.")
        buildings = audience.get("buildings")
        if building_id is not None and buildings != [building_id]:
            raise NotAllowed("A building message reaches its own building only.")
    mode = changes.get("send_mode")
    if mode is not None and mode not in schedule.SEND_MODES:
        raise NotReady("Unknown timing.")


def set_variant(message: Message, user, language: str, subject: str, text: str):
    """Write (or replace) the message's text in one language."""
    language = (language or "").strip().lower()
    if not LANGUAGE_CODE.match(language):
        raise NotReady("Choose a language code such as en or es.")
    _bump(message, user, "edit", language=language, part="text")
    variant = _variant(message, language)
    variant.subject = (subject or "").strip()[:200]
    variant.text = (text or "").strip()
    db.session.commit()
    return variant


def _variant(message: Message, language: str) -> MessageVariant:
    for variant in message.variants:
        if variant.language == language:
            return variant
    variant = MessageVariant(language=language, subject="", text="")
    message.variants.append(variant)
    return variant


def attach_recording(message: Message, user, language: str, data: bytes):
    """Attach a voice recording to a language, checked by content."""
    language = (language or "").strip().lower()
    if not LANGUAGE_CODE.match(language):
        raise NotReady("Choose a language code such as en or es.")
    scope = scope_of(message)
    if not rules.may_record(role_pairs(user), message.kind, scope, message.building_id):
        raise NotAllowed("Your role does not record this kind of message.")
    mime_type = audio.check(data)
    _bump(message, user, "record", language=language, size=len(data))
    recording = Recording(
        message_id=message.id,
        language=language,
        mime_type=mime_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        audio=data,
        recorded_by_id=user.id,
    )
    db.session.add(recording)
    db.session.flush()
    _variant(message, language).recording_id = recording.id
    db.session.commit()
    return recording


def readiness(message: Message) -> list[str]:
    """What the message still lacks before it can be submitted or sent."""
    problems = []
    english = next((v for v in message.variants if v.language == "en"), None)
    if not message.channels:
        problems.append("Choose at least one channel.")
    if not (message.audience or {}).get("groups"):
        problems.append("Choose who receives it: guardians, staff or both.")
    written = {"sms", "email"} & set(message.channels or [])
    if written and not (english and english.text):
        problems.append("Write the English text (texts and e-mails carry it).")
    voice = VOICE_SOURCE.get(Kind(message.kind)) == "recording"
    calls = "phone" in (message.channels or []) and voice
    if calls and not (english and english.recording_id):
        problems.append("Add the English recording (calls play it).")
    if message.send_mode == schedule.AT and message.scheduled_for is None:
        problems.append("Choose the date and time to send.")
    return problems


def granted(message: Message) -> set[str]:
    """Approval kinds granted for the message's current version."""
    rows = db.session.scalars(
        select(Approval).where(
            Approval.message_id == message.id,
            Approval.message_version == message.version,
            Approval.voided.is_(False),
        )
    )
    kinds: dict[str, str] = {}
    for row in rows:
        kinds[row.kind] = row.decision
    return {kind for kind, decision in kinds.items() if decision == "approved"}


def required(message: Message) -> frozenset[str]:
    """Approvals the policy asks for now (limits are read live)."""
    over = limits.is_over(message)
    return rules.required_approvals(message.kind, scope_of(message), over)


def submit(message: Message, user) -> Message:
    """Ask for the approvals the message needs; advisers are told after commit."""
    if message.state not in (DRAFT, REJECTED):
        raise WrongState("Only a draft can be submitted for approval.")
    _require_compose(user, message.kind, message.building_id)
    problems = readiness(message)
    if problems:
        raise NotReady(" ".join(problems))
    message.state = PENDING if required(message) - granted(message) else APPROVED
    audit_message("submit", message, user)
    db.session.commit()
    if rules.EMERGENCY_ADVICE in required(message):
        from portal.messaging import notify

        notify.ask_emergency_advice(message)
    return message


def decide(message, user, approval_kind: str, approve: bool, comment: str = ""):
    """Approve or reject the current version; a rejection needs a comment."""
    if message.state not in (DRAFT, PENDING, APPROVED):
        raise WrongState("This message is not waiting for a decision.")
    roles = role_pairs(user)
    scope = scope_of(message)
    if not rules.may_approve(
        roles, approval_kind, message.kind, scope, message.building_id
    ):
        raise NotAllowed("Your role does not give this approval.")
    comment = (comment or "").strip()
    if (not approve or approval_kind == rules.LIMIT_OVERRIDE) and not comment:
        raise NotReady("Say why, in the comment.")
    db.session.add(
        Approval(
            message_id=message.id,
            message_version=message.version,
            kind=approval_kind,
            decision="approved" if approve else "rejected",
            approver_id=user.id,
            comment=comment or None,
        )
    )
    _after_decision(message, approval_kind, approve, comment)
    action = "approve" if approve else "reject"
    audit_message(action, message, user, approval_kind=approval_kind)
    db.session.commit()
    return message


def _after_decision(message, approval_kind, approve, comment) -> None:
    db.session.flush()
    if not approve:
        message.state = REJECTED
        return
    if approval_kind == rules.LIMIT_OVERRIDE:
        message.limit_override_reason = comment
    if message.state == PENDING and not (required(message) - granted(message)):
        message.state = APPROVED
