"""Helpers of the journey tests: axe-core checks, keyboard-only moves, a district.

Imported by `test_journeys_*.py` (fixtures defined here are imported there).
axe-core is vendored at static/vendor/axe.min.js and only ever added to a
page by these tests (in a CSP-bypassing copy of the page under test); no
portal page references it.
"""

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal.policy import Role
from tests import factories

AXE_FILE = Path(__file__).resolve().parents[2] / "static/vendor/axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


class Axe:
    """Runs axe-core on pages; keeps every serious or critical violation.

    axe runs in a second page of its own context (same cookies, CSP bypassed
    so the vendored file can be injected): whatever axe does to a document
    never shows up as a CSP violation of the page under test.
    """

    def __init__(self, live_url: str):
        self.live_url = live_url
        self.checked: list[str] = []
        self.serious: list[tuple[str, dict]] = []

    def check(self, page) -> None:
        path = page.url.removeprefix(self.live_url)
        self.checked.append(path)
        context = page.context.browser.new_context(
            bypass_csp=True,
            storage_state=page.context.storage_state(),
            viewport=page.viewport_size,
        )
        try:
            audited = context.new_page()
            audited.goto(page.url)
            audited.add_script_tag(path=str(AXE_FILE))
            violations = audited.evaluate(RUN_AXE)
        finally:
            context.close()
        for violation in violations:
            if violation["impact"] in ("serious", "critical"):
                self.serious.append((path, violation))


@pytest.fixture
def axe(live_url):
    return Axe(live_url)


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)",
            selector,
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def arrow_until(page, selector: str, value: str, limit: int = 40) -> None:
    """With `selector` focused, press ArrowDown until its value is `value`."""
    for _ in range(limit):
        if page.evaluate("s => document.querySelector(s).value", selector) == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} never took {value}")


def choose_radio(page, name: str, value: str) -> None:
    """Tab into a radio group, check the first, arrow to `value`."""
    tab_to(page, f"input[type=radio][name={name}]")
    page.keyboard.press("Space")
    for _ in range(20):
        checked = page.evaluate(
            "n => document.querySelector(`input[name=${n}]:checked`)?.value", name
        )
        if checked == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"radio {name} never took {value}")


@pytest.fixture
def district(app, issuer):
    """Two schools, families (one Spanish), staff users of every journey."""
    from portal.attendance.models import Absence
    from portal.contacts.models import ContactProblem
    from portal.directory.models import ContactPoint
    from portal.extensions import db

    with app.app_context():
        lakeview = factories.building("LAK", name="Lakeview Elementary")
        factories.building("HIL", name="Hillside Elementary")
        kids = [
            factories.student(lakeview, first_name=f"Kid{n}", home_language=lang)
            for n, lang in enumerate(["en", "en", "es"])
        ]
        parents = [
            factories.guardian(
                kid, phone=f"+1253555{n:04d}", language=kid.home_language
            )
            for n, kid in enumerate(kids)
        ]

        def person(role, subject, name):
            building = None if role in (Role.IT_ADMIN, Role.SUPERINTENDENT,
                                        Role.ASSISTANT_SUPERINTENDENT) else lakeview  # fmt: skip
            return factories.user(
                role, building=building, issuer=issuer, subject=subject,
                display_name=name, email=f"{subject}@district.example",
            )  # fmt: skip

        users = {
            "principal": person(Role.PRINCIPAL, "principal", "Pat Lee"),
            "clerk": person(Role.ATTENDANCE_CLERK, "clerk", "Cleo Clerk"),
            "office": person(Role.OFFICE_STAFF, "office", "Olly Office"),
            "it": person(Role.IT_ADMIN, "it", "Ida IT"),
            "superintendent": person(Role.SUPERINTENDENT, "super", "Sam Super"),
            "assistant": person(Role.ASSISTANT_SUPERINTENDENT, "assistant", "Ana A"),
        }
        absence = Absence(
            date=date.today(), student_id=kids[0].id, building_id=lakeview.id, code="U"
        )
        point = db.session.query(ContactPoint).filter_by(guardian_id=parents[1].id)
        problem = ContactProblem(
            contact_point_id=point.one().id, building_id=lakeview.id,
            source="import", reason="Number too short", status="assigned",
            assigned_to_id=users["office"].id,
        )  # fmt: skip
        db.session.add_all([absence, problem])
        db.session.commit()
        return SimpleNamespace(
            lakeview=lakeview.id,
            absence=absence.id,
            problem=problem.id,
            users={k: u.id for k, u in users.items()},
        )
