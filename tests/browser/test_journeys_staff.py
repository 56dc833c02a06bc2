"""Journeys in a real browser: compose by keyboard, resolve, fulfil.

Every page a journey visits is checked with axe-core (no serious or
critical violations); the `page` fixture fails a test on any CSP violation.
Screenshots go to test-artifacts/.
"""

import re

import pytest

from portal.accounts.requests import AccountRequest
from portal.contacts.models import ContactProblem
from portal.extensions import db
from portal.messaging.models import Message
from tests import factories
from tests.browser import journeys_conftest
from tests.browser.journeys_conftest import arrow_until, choose_radio, tab_to

# Fixtures of journeys_conftest, made visible to pytest in this module.
axe = journeys_conftest.axe
district = journeys_conftest.district

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]


def _after_htmx(page, path_end: str, key: str = "Enter") -> None:
    """Press `key` and wait for the htmx POST ending in `path_end` to swap."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(path_end)
    ):
        page.keyboard.press(key)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def tick(page, selector: str, posts_to: str | None = None) -> None:
    """Tab to a checkbox and tick it with Space (unless already ticked)."""
    tab_to(page, selector)
    if page.is_checked(selector):
        return
    if posts_to:
        _after_htmx(page, posts_to, key="Space")
    else:
        page.keyboard.press("Space")


def test_principal_sends_a_school_event_in_english_and_spanish_by_keyboard(
    app, page, live_url, sign_in, screenshot, axe, district
):
    sign_in(page, "principal")
    page.goto(f"{live_url}/messages/new")
    axe.check(page)

    choose_radio(page, "kind", "outreach")
    tab_to(page, "#category")
    arrow_until(page, "#category", "school_event")
    tab_to(page, "#title")
    page.keyboard.type("Spring concert")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/messages/\d+/compose$"))
    message_id = int(page.url.rsplit("/", 2)[1])

    tick(page, "#grp-guardians", "/audience/count")
    assert page.is_checked("#grp-guardians")
    tab_to(page, "form[hx-post$='/audience'] button[type=submit]")
    _after_htmx(page, "/audience")
    screenshot(page, "audience")
    tick(page, "#ch-sms")
    tab_to(page, "form[hx-post$='/channels'] button[type=submit]")
    _after_htmx(page, "/channels")

    tab_to(page, "#text-en")
    page.keyboard.type("The spring concert is on Friday at 6 pm.")
    tab_to(page, "#lang-en button[type=submit]")
    _after_htmx(page, "/text")
    if not page.locator("#text-es").count():
        tab_to(page, "#new-language")
        page.keyboard.type("es")
        _after_htmx(page, "/text")
    tab_to(page, "#text-es")
    page.keyboard.type("El concierto de primavera es el viernes a las 6.")
    tab_to(page, "#lang-es button[type=submit]")
    _after_htmx(page, "/text")
    screenshot(page, "compose-ready")
    axe.check(page)

    tab_to(page, "form[action$='/send'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/messages/{message_id}$"))
    screenshot(page, "sent")
    axe.check(page)

    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.state in ("sending", "sent", "scheduled")
        assert {v.language for v in message.variants} == {"en", "es"}
    assert axe.serious == []


def test_office_staff_resolve_a_contact_problem(
    app, page, live_url, sign_in, screenshot, axe, district
):
    sign_in(page, "office")
    page.goto(f"{live_url}/contacts/mine")
    axe.check(page)

    page.get_by_label("Reached the family").check()
    page.get_by_label("Note (optional)").fill("Called the school office back.")
    page.get_by_role("button", name="Record").click()
    page.wait_for_load_state()
    screenshot(page, "resolved")
    axe.check(page)

    with app.app_context():
        problem = db.session.get(ContactProblem, district.problem)
        assert problem.status == "resolved"
        assert problem.resolution == "reached_family"
    assert axe.serious == []


def test_it_fulfils_an_account_request(
    app, page, live_url, sign_in, screenshot, axe, district
):
    with app.app_context():
        from portal.directory.models import Building

        lakeview = db.session.get(Building, district.lakeview)
        staff = factories.staff(lakeview, first_name="Nora", last_name="New")
        request = AccountRequest(
            kind="add", staff_member_id=staff.id, role="office_staff",
            building_id=lakeview.id, reason="Joins the front office",
            requested_by_id=district.users["principal"],
        )  # fmt: skip
        db.session.add(request)
        db.session.commit()
        request_id = request.id

    sign_in(page, "it")
    page.goto(f"{live_url}/accounts/queue")
    axe.check(page)
    page.locator(f"a[href$='/accounts/requests/{request_id}']").first.click()
    page.wait_for_url(re.compile(rf".*/accounts/requests/{request_id}$"))
    axe.check(page)
    page.get_by_role("button", name="Fulfil").click()
    page.wait_for_load_state()
    screenshot(page, "fulfilled")
    axe.check(page)

    with app.app_context():
        assert db.session.get(AccountRequest, request_id).status == "fulfilled"
    assert axe.serious == []
