"""Names carrying markup render as text on every page that shows them.

Hypothesis puts `<script>`, `hx-get=`, `hx-on:` and broken-out attributes
into a building's, a student's, a guardian's, a staff member's and portal
users' names and a message title; every page each role can reach must then
have no element or attribute set that it lacks with plain names.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.accounts.models import PortalUser
from portal.directory.models import Building, Guardian, StaffMember, Student
from portal.extensions import db
from portal.messaging.models import Message
from tests.proof.pages import crawl, shape

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    '" hx-get="/signout" hx-trigger="load',
    "' hx-on:click='alert(1)",
    '<div hx-get="/accounts/queue" hx-trigger="load">x</div>',
    '<a hx-on::after-request="alert(1)" href="javascript:alert(1)">x</a>',
    "</textarea></title><script>x</script>",
    "<!-- {{7*7}} ]]> <style>*{}</style>",
    "<iframe srcdoc='<script>1</script>'>",
]
ROLES = ("principal", "office_staff", "attendance_clerk", "it_admin", "superintendent")
PLAIN = "Plainname"

names = st.builds(
    lambda before, payload, after: f"{before}{payload}{after}"[:90],
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
    st.sampled_from(PAYLOADS),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
)


def _rename(app, world, name: str) -> None:
    with app.app_context():
        db.session.get(Building, world.a).name = name
        db.session.get(Message, world.message).title = name
        for model in (Student, Guardian, StaffMember):
            for person in db.session.query(model):
                person.first_name = person.last_name = name
        for user_id in (world.principal, world.own["office_staff"]):
            db.session.get(PortalUser, user_id).display_name = name
        db.session.commit()


def _pages_showing_names(clients) -> dict[tuple[str, str], str]:
    """Every page each role reaches that shows one of the plain names."""
    return {
        (role, path): html
        for role, client in clients.items()
        for path, html in crawl(client).items()
        # Markup pages only: CSV downloads are attachments, never rendered.
        if PLAIN in html and html.lstrip().startswith("<")
    }


def test_names_with_markup_render_inert_everywhere(app, world, client_as):
    clients = {role: client_as(world.own[role])[0] for role in ROLES}
    _rename(app, world, PLAIN)
    plain = {
        k: shape(html).elements for k, html in _pages_showing_names(clients).items()
    }
    assert len(plain) >= 10, sorted(plain)

    @settings(
        max_examples=3,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(name=names)
    def check(name):
        _rename(app, world, name)
        pages = {
            (role, path): clients[role].get(path).get_data(as_text=True)
            for role, path in plain
        }

        # No element or attribute set that the plain page lacks (pages such
        # as the audit trail grow between requests, so counts may differ).
        for key, html in pages.items():
            assert set(shape(html).elements) <= set(plain[key]), key
        shown = ["".join(shape(html).text) for html in pages.values()]
        assert any(name in text for text in shown)

    check()
