"""A large import checks phone numbers in a helper process: same answers."""

import os

from sqlalchemy import select

from portal.directory import phone_checks
from portal.directory.checks import check_contact, check_phone
from portal.directory.models import ContactPoint
from portal.extensions import db
from tests.directory.helpers import import_dir

NUMBERS = ["(253) 555-0100", "253-571-1000", "571-1000", "+44 20 7946 0958", "x", ""]


def _die(raws: list[str]) -> None:
    os._exit(1)


def _spy_on_results(monkeypatch) -> list[tuple[str, phone_checks.Answers]]:
    """Lower the threshold so a small district uses the helper; note answers."""
    used = []
    real = phone_checks.PhoneChecks.results

    def results(self, name):
        answers = real(self, name)
        used.append((name, answers))
        return answers

    monkeypatch.setattr(phone_checks, "MINIMUM", 1)
    monkeypatch.setattr(phone_checks.PhoneChecks, "results", results)
    return used


def _assert_every_point_checked_as_here() -> int:
    table = ContactPoint.__table__
    rows = db.session.execute(
        select(table.c.kind, table.c.raw, table.c.address, table.c.problem)
    ).all()
    db.session.rollback()
    for kind, raw, address, problem in rows:
        assert (address, problem) == check_contact(kind, raw), raw
    return len(rows)


def test_the_helper_answers_as_checking_here_does(monkeypatch):
    monkeypatch.setattr(phone_checks, "PART", 2)  # three parts, taken in turn
    checks = phone_checks.PhoneChecks(minimum=1)
    checks.submit("numbers", NUMBERS)
    answers = checks.results("numbers")

    assert answers.get(NUMBERS[0]) == check_phone(NUMBERS[0])
    assert answers.received == 2
    assert [answers.get(raw) for raw in NUMBERS if raw] == [
        check_phone(raw) for raw in NUMBERS if raw
    ]
    assert answers.received == len(NUMBERS) - 1
    assert answers.get("not sent") is None
    assert checks.results("numbers").get(NUMBERS[0]) is None
    checks.close()


def test_a_small_batch_is_checked_here():
    checks = phone_checks.PhoneChecks()
    checks.submit("numbers", NUMBERS)
    answers = checks.results("numbers")
    assert answers.get(NUMBERS[0]) is None
    assert answers.received == 0
    checks.close()


def test_an_import_uses_the_helpers_answers(app_ctx, files, monkeypatch):
    used = _spy_on_results(monkeypatch)

    result = import_dir(files)

    assert result.status == "imported", result.problems
    assert {name for name, answers in used if answers.received} == {
        "staff.csv",
        "guardians.csv",
    }
    assert _assert_every_point_checked_as_here() > 0


def test_a_helper_that_fails_leaves_the_import_whole(app_ctx, files, monkeypatch):
    used = _spy_on_results(monkeypatch)
    # The helper process runs this instead of checking: it dies.
    monkeypatch.setattr(phone_checks, "check_all", _die)

    result = import_dir(files)

    assert result.status == "imported", result.problems
    assert used
    assert all(answers.received == 0 for _name, answers in used)
    assert _assert_every_point_checked_as_here() > 0
