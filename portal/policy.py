"""The district's notification procedure as reviewable tables.

Every permission check in the portal reads these tables; the Policy page
shows them to users; `tests/test_policy.py` checks every cell. Change the
procedure here and nowhere else.
"""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SUPERINTENDENT = "superintendent"
    ASSISTANT_SUPERINTENDENT = "assistant_superintendent"
    COMMUNITY_RELATIONS_DIRECTOR = "community_relations_director"
    SUPERINTENDENT_DESIGNEE = "superintendent_designee"
    IT_ADMIN = "it_admin"
    PRINCIPAL = "principal"
    ASSISTANT_PRINCIPAL = "assistant_principal"
    PRINCIPAL_DESIGNEE = "principal_designee"
    ATTENDANCE_CLERK = "attendance_clerk"
    OFFICE_STAFF = "office_staff"


ROLE_LABELS = {
    Role.SUPERINTENDENT: "Superintendent",
    Role.ASSISTANT_SUPERINTENDENT: "Assistant superintendent",
    Role.COMMUNITY_RELATIONS_DIRECTOR: "Director of community relations",
    Role.SUPERINTENDENT_DESIGNEE: "Superintendent's designee",
    Role.IT_ADMIN: "IT administrator",
    Role.PRINCIPAL: "Principal",
    Role.ASSISTANT_PRINCIPAL: "Assistant principal",
    Role.PRINCIPAL_DESIGNEE: "Principal's designee",
    Role.ATTENDANCE_CLERK: "Attendance secretary / clerk",
    Role.OFFICE_STAFF: "Office staff",
}

DISTRICT_ROLES = frozenset(
    {
        Role.SUPERINTENDENT,
        Role.ASSISTANT_SUPERINTENDENT,
        Role.COMMUNITY_RELATIONS_DIRECTOR,
        Role.SUPERINTENDENT_DESIGNEE,
        Role.IT_ADMIN,
    }
)
BUILDING_ROLES = frozenset(set(Role) - DISTRICT_ROLES)
BUILDING_LEADERS = frozenset(
    {Role.PRINCIPAL, Role.ASSISTANT_PRINCIPAL, Role.PRINCIPAL_DESIGNEE}
)
DISTRICT_LEADERS = frozenset(
    {
        Role.SUPERINTENDENT,
        Role.ASSISTANT_SUPERINTENDENT,
        Role.COMMUNITY_RELATIONS_DIRECTOR,
        Role.SUPERINTENDENT_DESIGNEE,
    }
)


class Kind(StrEnum):
    EMERGENCY = "emergency"
    CLOSURE = "closure"
    OUTREACH = "outreach"
    ATTENDANCE = "attendance"


KIND_LABELS = {
    Kind.EMERGENCY: "Emergency",
    Kind.CLOSURE: "Inclement weather or school closure",
    Kind.OUTREACH: "Community outreach",
    Kind.ATTENDANCE: "Attendance",
}


class Scope(StrEnum):
    DISTRICT = "district"
    BUILDING = "building"


# Procedure, "Recording Alternate Messages": who records the voice, by kind
# and scope. A principal records a building emergency for their own building
# only; closures are district-wide; attendance is never recorded (TTS).
RECORDERS: dict[tuple[Kind, Scope], frozenset[Role]] = {
    (Kind.OUTREACH, Scope.DISTRICT): frozenset(
        {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR, Role.IT_ADMIN}
    ),
    (Kind.OUTREACH, Scope.BUILDING): frozenset(
        {
            Role.SUPERINTENDENT,
            Role.COMMUNITY_RELATIONS_DIRECTOR,
            Role.IT_ADMIN,
            Role.PRINCIPAL,
        }
    ),
    (Kind.CLOSURE, Scope.DISTRICT): frozenset(
        {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR, Role.IT_ADMIN}
    ),
    (Kind.CLOSURE, Scope.BUILDING): frozenset(),
    (Kind.EMERGENCY, Scope.DISTRICT): frozenset(
        {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR}
    ),
    (Kind.EMERGENCY, Scope.BUILDING): frozenset(
        {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR, Role.PRINCIPAL}
    ),
    (Kind.ATTENDANCE, Scope.DISTRICT): frozenset(),
    (Kind.ATTENDANCE, Scope.BUILDING): frozenset(),
}

# Procedure, "Users and Access" and "Who delivers": who composes and sends.
# District messages are delivered preferably by the superintendent; building
# messages by the principal, assistant principal or designee.
SENDERS: dict[tuple[Kind, Scope], frozenset[Role]] = {
    (Kind.OUTREACH, Scope.DISTRICT): frozenset(
        {
            Role.SUPERINTENDENT,
            Role.SUPERINTENDENT_DESIGNEE,
            Role.COMMUNITY_RELATIONS_DIRECTOR,
            Role.IT_ADMIN,
        }
    ),
    (Kind.OUTREACH, Scope.BUILDING): BUILDING_LEADERS,
    (Kind.CLOSURE, Scope.DISTRICT): frozenset(
        {
            Role.SUPERINTENDENT,
            Role.SUPERINTENDENT_DESIGNEE,
            Role.COMMUNITY_RELATIONS_DIRECTOR,
            Role.IT_ADMIN,
        }
    ),
    (Kind.CLOSURE, Scope.BUILDING): frozenset(),
    (Kind.EMERGENCY, Scope.DISTRICT): frozenset(
        {
            Role.SUPERINTENDENT,
            Role.SUPERINTENDENT_DESIGNEE,
            Role.COMMUNITY_RELATIONS_DIRECTOR,
        }
    ),
    (Kind.EMERGENCY, Scope.BUILDING): frozenset(
        {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR} | BUILDING_LEADERS
    ),
    (Kind.ATTENDANCE, Scope.DISTRICT): frozenset(),
    (Kind.ATTENDANCE, Scope.BUILDING): frozenset(),
}

# District-wide content is approved by the superintendent, the designee or
# the director of community relations; such an author approves by sending.
CONTENT_APPROVERS = frozenset(
    {
        Role.SUPERINTENDENT,
        Role.SUPERINTENDENT_DESIGNEE,
        Role.COMMUNITY_RELATIONS_DIRECTOR,
    }
)
# An emergency goes only upon the assistant superintendent's advice.
EMERGENCY_ADVISERS = frozenset({Role.ASSISTANT_SUPERINTENDENT})
# Going over an outreach or fundraising limit needs a district approver.
LIMIT_OVERRIDERS = CONTENT_APPROVERS


class Timing(StrEnum):
    IMMEDIATELY = "immediately"
    END_OF_DAY = "end_of_day"


@dataclass(frozen=True)
class Situation:
    code: str
    label: str
    timing: Timing
    senders: frozenset[Role]


# Procedure's emergency table. The list is open-ended: "other" exists and
# defaults to "immediately" with the building-emergency senders.
SITUATIONS = {
    s.code: s
    for s in (
        Situation(
            "evacuation", "Evacuation", Timing.IMMEDIATELY, frozenset({Role.PRINCIPAL})
        ),
        Situation(
            "weapon",
            "Weapon on campus",
            Timing.END_OF_DAY,
            frozenset({Role.SUPERINTENDENT, Role.PRINCIPAL}),
        ),
        Situation(
            "lockdown", "Lockdown", Timing.END_OF_DAY, frozenset({Role.PRINCIPAL})
        ),
        Situation("fire", "Fire", Timing.IMMEDIATELY, frozenset({Role.PRINCIPAL})),
        Situation(
            "injury_or_death",
            "Injury or death",
            Timing.END_OF_DAY,
            frozenset(
                {
                    Role.SUPERINTENDENT,
                    Role.COMMUNITY_RELATIONS_DIRECTOR,
                    Role.PRINCIPAL,
                }
            ),
        ),
        Situation(
            "other",
            "Other emergency",
            Timing.IMMEDIATELY,
            frozenset(
                {
                    Role.SUPERINTENDENT,
                    Role.COMMUNITY_RELATIONS_DIRECTOR,
                    Role.PRINCIPAL,
                }
            ),
        ),
    )
}

# A principal's designee and assistant principal act for the principal.
ACTS_AS_PRINCIPAL = BUILDING_LEADERS

DISTRICT_CATEGORIES = {
    "closure": "Closures and snow days",
    "district_event": "District and community events",
    "election": "General and special elections",
}
BUILDING_CATEGORIES = {
    "conference": "Parent/teacher conferences",
    "school_emergency": "School emergencies",
    "testing": "Testing reminders",
    "school_event": "School events",
    "holiday": "Holidays, exit and return times",
    "picture_day": "Picture day",
    "fundraising": "Fundraising (limited)",
    "grading": "Grading periods and report cards",
    "district_reminder": "Reminders of district-wide messages",
}

# Defaults; the live values are district settings the IT administrator edits.
LIMIT_DEFAULTS = {
    "outreach_per_household_7d": 3,
    "fundraising_per_building_30d": 2,
}
CALLING_WINDOW_DEFAULT = ("08:00", "20:00")
# Emergencies are never capped and ignore the calling window.
UNCAPPED_KINDS = frozenset({Kind.EMERGENCY})
QUIET_HOURS_EXEMPT = frozenset({Kind.EMERGENCY})

# Voice: emergency and outreach calls play a recording; attendance is TTS.
VOICE_SOURCE = {
    Kind.EMERGENCY: "recording",
    Kind.CLOSURE: "recording",
    Kind.OUTREACH: "recording",
    Kind.ATTENDANCE: "tts",
}


class Notice(StrEnum):
    BOARD = "board"
    ALT = "alt"
    SSC_RECEPTIONIST = "ssc_receptionist"
    HR = "hr"


NOTICE_LABELS = {
    Notice.BOARD: "Board of directors",
    Notice.ALT: "Administrative Leadership Team (ALT)",
    Notice.SSC_RECEPTIONIST: "SSC receptionist",
    Notice.HR: "Human resources",
}


def notices_for_send(kind: Kind, scope: Scope, sender_roles: set[Role]) -> set[Notice]:
    """Which notice lists are told when a message of this kind is sent."""
    notices = set()
    if scope is Scope.DISTRICT or kind is Kind.EMERGENCY:
        notices.add(Notice.BOARD)
    if kind is Kind.EMERGENCY:
        notices |= {Notice.ALT, Notice.SSC_RECEPTIONIST}
    if (
        scope is Scope.DISTRICT
        and kind in (Kind.OUTREACH, Kind.CLOSURE)
        and sender_roles & {Role.SUPERINTENDENT, Role.COMMUNITY_RELATIONS_DIRECTOR}
    ):
        notices.add(Notice.ALT)
    return notices


def needs_content_approval(scope: Scope) -> bool:
    """District-wide content is approved before it goes."""
    return scope is Scope.DISTRICT


def needs_emergency_advice(kind: Kind) -> bool:
    """An emergency goes only upon the assistant superintendent's advice."""
    return kind is Kind.EMERGENCY


# --- Page access ------------------------------------------------------------
# Every view names one of these capabilities (see portal.accounts.access);
# the value is the set of roles that hold it. "Scoped" capabilities are held
# for the building a role is assigned to (district roles hold them for all).
ANY_SIGNED_IN = frozenset(Role)

CAPABILITIES: dict[str, frozenset[Role]] = {
    "home": ANY_SIGNED_IN,
    "policy.view": ANY_SIGNED_IN,
    "directory.import": frozenset({Role.IT_ADMIN}),
    "directory.view": DISTRICT_ROLES | BUILDING_LEADERS | {Role.ATTENDANCE_CLERK},
    "contacts.log": DISTRICT_ROLES | {Role.PRINCIPAL, Role.ASSISTANT_PRINCIPAL},
    "contacts.assign": frozenset({Role.PRINCIPAL, Role.ASSISTANT_PRINCIPAL}),
    "contacts.work": frozenset({Role.OFFICE_STAFF})
    | {Role.PRINCIPAL, Role.ASSISTANT_PRINCIPAL},
    "messages.view": DISTRICT_ROLES | BUILDING_LEADERS,
    "messages.compose": frozenset(
        {
            Role.SUPERINTENDENT,
            Role.SUPERINTENDENT_DESIGNEE,
            Role.COMMUNITY_RELATIONS_DIRECTOR,
            Role.IT_ADMIN,
        }
    )
    | BUILDING_LEADERS,
    "messages.approve": CONTENT_APPROVERS | EMERGENCY_ADVISERS,
    "delivery.view": DISTRICT_ROLES | BUILDING_LEADERS,
    "attendance.view": frozenset({Role.ATTENDANCE_CLERK, Role.IT_ADMIN})
    | BUILDING_LEADERS
    | {Role.SUPERINTENDENT},
    "attendance.hold": frozenset({Role.ATTENDANCE_CLERK}) | BUILDING_LEADERS,
    "attendance.templates": frozenset(
        {Role.IT_ADMIN, Role.COMMUNITY_RELATIONS_DIRECTOR}
    ),
    "accounts.request": DISTRICT_LEADERS | {Role.PRINCIPAL},
    "accounts.fulfil": frozenset({Role.IT_ADMIN}),
    "training.manage": frozenset({Role.IT_ADMIN}),
    "audit.view": frozenset({Role.IT_ADMIN, Role.SUPERINTENDENT}),
    "settings.edit": frozenset({Role.IT_ADMIN}),
    "ops.dashboard": frozenset({Role.IT_ADMIN}),
}
