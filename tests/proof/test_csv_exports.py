"""Every CSV export neutralises spreadsheet formulas in its cells.

Every GET route is requested (with building A's records) by the roles of
the `world`; each response served as text/csv is read back with the csv
module. Values put into the records start with = + - @ tab and CR, and
no cell of any export may start with one of those.
"""

import csv
import io

from portal.accounts import audit
from portal.accounts.models import PortalUser
from portal.contacts.models import ContactProblem
from portal.delivery.models import Delivery
from portal.directory.models import Building, Guardian, StaffMember, Student
from portal.extensions import db
from tests.proof.test_other_building_ids import ARGUMENTS, NOT_RECORDS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROLES = ("it_admin", "superintendent", "principal")


def _poison(app, world) -> None:
    """Formulas in every name, reason, detail and audit field that is exported."""
    with app.app_context():
        db.session.get(Building, world.a).name = '=HYPERLINK("http://x","y")'
        for model, first in (
            (Student, "+1+1"),
            (Guardian, "-2+3"),
            (StaffMember, "@SUM(1)"),
        ):
            for person in db.session.query(model):
                person.first_name, person.last_name = first, "\t=cmd|'/C calc'!A0"
        for user in db.session.query(PortalUser):
            user.display_name = "=1+2"
        problem = db.session.get(ContactProblem, world.problem)
        problem.reason, problem.note = "\r=3+4", "@note"
        delivery = db.session.query(Delivery).one()
        delivery.state, delivery.detail = "failed", "=detail()"
        delivery.recipients = {"guardians": [g.id for g in db.session.query(Guardian)]}
        audit.record("proof.formula", actor="=actor()", target="+target", note="-n")
        db.session.commit()


def _csv_responses(app, world, client_as) -> dict[str, str]:
    found = {}
    for role in ROLES:
        client, _csrf = client_as(world.own[role])
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in NOT_RECORDS:
                continue
            if rule.endpoint.startswith("rq_dashboard."):
                continue
            values = {name: ARGUMENTS[name](world) for name in rule.arguments}
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/csv":
                found[rule.endpoint] = response.get_data(as_text=True)
    return found


def test_every_csv_export_is_formula_safe(app, world, client_as):
    _poison(app, world)
    exports = _csv_responses(app, world, client_as)

    assert set(exports) >= {
        "audit.export",
        "contacts.log_csv",
        "delivery.not_reached_csv",
        "training.due_csv",
    }
    for endpoint, text in exports.items():
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
        assert dangerous == [], endpoint
        # The control: the poisoned values did reach this export, quoted.
        assert any(c.startswith("'") for c in cells), endpoint
