"""Progress and final-report figures for one message, scoped by building."""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, select

from portal.delivery.models import CLAIMED, FINAL_STATES, PENDING, Attempt, Delivery
from portal.extensions import db
from portal.models_base import utcnow

# Report lines, in order, and the delivery states each one counts.
REPORT_LINES = [
    ("reached", "Reached", ("answered", "delivered", "sent")),
    ("voicemail", "Voicemail", ("voicemail",)),
    ("no_answer", "No answer", ("no_answer",)),
    ("busy", "Busy", ("busy",)),
    ("failed", "Failed", ("failed", "invalid_number")),
    ("opted_out", "Opted out", ("opted_out",)),
    ("suppressed_by_limit", "Held back by limits", ("suppressed_by_limit",)),
    ("cancelled", "Cancelled", ("cancelled",)),
]
NOT_REACHED = ("no_answer", "busy", "failed", "invalid_number", "opted_out")
RATE_WINDOW = timedelta(seconds=10)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Progress:
    total: int = 0
    by_state: dict = field(default_factory=dict)
    rate: float = 0.0

    @property
    def done(self) -> int:
        return sum(n for s, n in self.by_state.items() if s in FINAL_STATES)

    @property
    def waiting(self) -> int:
        return self.by_state.get(PENDING, 0) + self.by_state.get(CLAIMED, 0)

    @property
    def seconds_left(self) -> int | None:
        if not self.waiting:
            return 0
        return round(self.waiting / self.rate) if self.rate else None


def _scoped(query, scope):
    if scope is not None:
        query = query.where(Delivery.building_id.in_(scope))
    return query


def progress(message_id: int, scope=None) -> Progress:
    """Counts by state and the current rate (requests per second)."""
    rows = db.session.execute(
        _scoped(
            select(Delivery.state, func.count(Delivery.id))
            .where(Delivery.message_id == message_id)
            .group_by(Delivery.state),
            scope,
        )
    ).all()
    by_state = dict(rows)
    recent = db.session.scalar(
        _scoped(
            select(func.count(Attempt.id))
            .join(Delivery, Delivery.id == Attempt.delivery_id)
            .where(
                Delivery.message_id == message_id,
                Attempt.started_at >= utcnow() - RATE_WINDOW,
            ),
            scope,
        )
    )
    return Progress(
        total=sum(by_state.values()),
        by_state=by_state,
        rate=recent / RATE_WINDOW.total_seconds(),
    )


def report_lines(by_state: dict) -> list[tuple[str, str, int]]:
    """(key, label, count) for each line of the final report."""
    return [
        (key, label, sum(by_state.get(s, 0) for s in states))
        for key, label, states in REPORT_LINES
    ]


def by_building(message_id: int, scope=None) -> list[tuple]:
    """(building id, state, count) rows."""
    return db.session.execute(
        _scoped(
            select(Delivery.building_id, Delivery.state, func.count(Delivery.id))
            .where(Delivery.message_id == message_id)
            .group_by(Delivery.building_id, Delivery.state),
            scope,
        )
    ).all()


def by_language(message_id: int, scope=None) -> list[tuple]:
    """(language, households, how many got English instead) rows."""
    fallback = func.sum(
        case((Delivery.content_language != Delivery.language, 1), else_=0)
    )
    return db.session.execute(
        _scoped(
            select(Delivery.language, func.count(Delivery.id), fallback)
            .where(Delivery.message_id == message_id)
            .group_by(Delivery.language)
            .order_by(func.count(Delivery.id).desc()),
            scope,
        )
    ).all()


def not_reached(message_id: int, scope=None, limit: int | None = None):
    """Deliveries that did not reach anyone, for follow-up."""
    query = _scoped(
        select(Delivery)
        .where(Delivery.message_id == message_id, Delivery.state.in_(NOT_REACHED))
        .order_by(Delivery.building_id, Delivery.id),
        scope,
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def not_reached_csv(message_id: int, scope=None, names=None) -> str:
    """The not-reached list as CSV (formula-injection safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "delivery_id",
            "building",
            "channel",
            "address",
            "state",
            "language",
            "people",
            "detail",
        ]
    )
    for row in not_reached(message_id, scope):
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    row.id,
                    names.building(row.building_id) if names else row.building_id,
                    row.channel,
                    row.address,
                    row.state,
                    row.language,
                    names.people(row.recipients) if names else "",
                    row.detail,
                )
            ]
        )
    return out.getvalue()
