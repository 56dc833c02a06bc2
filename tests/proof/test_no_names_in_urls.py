"""No student or guardian name appears in any URL of any page, for any role.

URLs end up in server and proxy logs, browser history and Referer headers;
names must stay in page bodies. Each role crawls every page it can reach.
"""

import pytest

from tests.proof.pages import crawl, shape

NAMES = ("Zanzibarro", "Quillfeather")
ROLES = ("principal", "office_staff", "attendance_clerk", "it_admin", "superintendent")


@pytest.mark.parametrize("role", ROLES)
def test_crawled_pages_carry_no_names_in_urls(world, client_as, role):
    client, _csrf = client_as(world.own[role])
    pages = crawl(client)

    assert len(pages) >= 3, sorted(pages)
    for path, html in pages.items():
        assert not any(n.lower() in path.lower() for n in NAMES), path
        for url in shape(html).urls:
            assert not any(n.lower() in url.lower() for n in NAMES), (path, url)


def test_the_names_are_on_the_pages(world, client_as):
    """The control: the crawl does reach pages that show the names."""
    client, _csrf = client_as(world.own["attendance_clerk"])
    pages = crawl(client)

    assert any("Zanzibarro" in html for html in pages.values())
