"""Progress and final-report figures for one message, scoped by building."""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

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
    """Counts by state and the current rate (requests per second).

    One statement: a grouped pass over the message's deliveries (an
    index-only scan of ix_delivery_message_state) with the attempts of the
    last seconds counted beside it through their start-time index. The
    progress block polls this every two seconds per viewer.
    """
    recent = _scoped(
        select(func.count(Attempt.id))
        .join(Delivery, Delivery.id == Attempt.delivery_id)
        .where(
            Delivery.message_id == message_id,
            Attempt.started_at >= utcnow() - RATE_WINDOW,
        ),
        scope,
    ).scalar_subquery()
    rows = db.session.execute(
        _scoped(
            select(Delivery.state, func.count(), recent)
            .where(Delivery.message_id == message_id)
            .group_by(Delivery.state),
            scope,
        )
    ).all()
    by_state = {state: count for state, count, _recent in rows}
    return Progress(
        total=sum(by_state.values()),
        by_state=by_state,
        rate=(rows[0][2] if rows else 0) / RATE_WINDOW.total_seconds(),
    )


def report_lines(by_state: dict) -> list[tuple[str, str, int]]:
    """(key, label, count) for each line of the final report."""
    return [
        (key, label, sum(by_state.get(s, 0) for s in states))
        for key, label, states in REPORT_LINES
    ]


@dataclass
class Breakdown:
    """The report's tables: states per building, deliveries per language."""

    by_building: dict = field(default_factory=dict)  # building id: {state: n}
    # language: [deliveries, how many got English instead]
    by_language: dict = field(default_factory=dict)

    def languages(self) -> list[tuple[str, int, int]]:
        """(language, deliveries, fell back to English), most deliveries first."""
        rows = [(lang, n, fallback) for lang, (n, fallback) in self.by_language.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0]))


def breakdown(message_id: int, scope=None) -> Breakdown:
    """Both report tables from one grouped pass over the deliveries."""
    rows = db.session.execute(
        _scoped(
            select(
                Delivery.building_id,
                Delivery.state,
                Delivery.language,
                Delivery.content_language,
                func.count(Delivery.id),
            )
            .where(Delivery.message_id == message_id)
            .group_by(
                Delivery.building_id,
                Delivery.state,
                Delivery.language,
                Delivery.content_language,
            ),
            scope,
        )
    )
    found = Breakdown()
    for building_id, state, language, content_language, count in rows:
        states = found.by_building.setdefault(building_id, {})
        states[state] = states.get(state, 0) + count
        totals = found.by_language.setdefault(language, [0, 0])
        totals[0] += count
        if content_language != language:
            totals[1] += count
    return found


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


def not_reached_csv(rows, names=None) -> str:
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
    for row in rows:
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
