"""The audience count is kept per audience until the next directory import."""

from portal.directory.models import ImportRun
from portal.extensions import db
from portal.messaging import audience
from portal.models_base import utcnow
from tests import factories

EVERYONE = {"buildings": "all", "grades": "all", "groups": ["guardians"]}


def _family(building, phone: str) -> None:
    factories.guardian(factories.student(building), phone=phone)


def _imported() -> None:
    """A finished directory import on record."""
    db.session.add(
        ImportRun(source="directory", status="imported", finished_at=utcnow())
    )
    db.session.commit()


def test_a_count_is_kept_until_the_next_import(app_ctx):
    school = factories.building()
    _family(school, "+12535550101")
    _imported()
    first = audience.cached_summary(EVERYONE, ["phone"])

    _family(school, "+12535550102")  # by hand: imports are the only writers
    kept = audience.cached_summary(EVERYONE, ["phone"])
    _imported()
    recounted = audience.cached_summary(EVERYONE, ["phone"])

    assert (first["households"], kept["households"]) == (1, 1)
    assert recounted["households"] == 2
    assert recounted == audience.summarize(EVERYONE, ["phone"])


def test_each_audience_and_channel_choice_has_its_own_count(app_ctx):
    school = factories.building()
    other = factories.building()
    _family(school, "+12535550101")
    _family(other, "+12535550102")
    _imported()

    one = audience.cached_summary({**EVERYONE, "buildings": [school.id]}, ["phone"])
    both = audience.cached_summary(EVERYONE, ["phone"])
    texts = audience.cached_summary(EVERYONE, ["sms"])

    assert (one["households"], both["households"]) == (1, 2)
    assert texts["primary_channel"] == "sms"


def test_without_an_import_every_count_is_fresh(app_ctx):
    school = factories.building()
    _family(school, "+12535550101")
    audience.cached_summary(EVERYONE, ["phone"])
    _family(school, "+12535550102")

    assert audience.cached_summary(EVERYONE, ["phone"])["households"] == 2


def test_the_outreach_limit_reads_the_kept_addresses(app_ctx):
    school = factories.building()
    _family(school, "+12535550101")
    _imported()
    first = audience.cached_addresses(EVERYONE, ["phone"])
    _family(school, "+12535550102")

    assert first == ["+12535550101"]
    assert audience.cached_addresses(EVERYONE, ["phone"]) == first
    _imported()
    assert audience.cached_addresses(EVERYONE, ["phone"]) == [
        "+12535550101",
        "+12535550102",
    ]


def test_one_count_keeps_both_the_summary_and_the_addresses(app_ctx):
    school = factories.building()
    _family(school, "+12535550101")
    _imported()
    audience.cached_addresses(EVERYONE, ["phone"])
    _family(school, "+12535550102")

    assert audience.cached_summary(EVERYONE, ["phone"])["households"] == 1
    assert audience.cached_addresses(EVERYONE, []) == []
