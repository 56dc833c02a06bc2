"""The import-runs pages for IT, and the home cards of the two areas."""

from portal.directory.models import ImportRun
from portal.extensions import db
from portal.policy import Role
from tests.directory.helpers import import_dir


def test_it_sees_runs_with_counts_and_errors(client, login, make, files):
    login(make.user(Role.IT_ADMIN))
    good = import_dir(files)
    path = files / "students.csv"
    path.write_text(path.read_text().replace(",LAK,", ",NOPE,", 1))
    bad = import_dir(files)

    listing = client.get("/directory/imports")
    detail = client.get(f"/directory/imports/{bad.run_id}")
    counts = client.get(f"/directory/imports/{good.run_id}")

    assert listing.status_code == 200
    assert f"#{good.run_id}".encode() in listing.data
    assert b"rejected" in listing.data
    assert b"unknown building &#39;NOPE&#39;" in detail.data
    assert b"students: 120 added" in counts.data


def test_a_running_import_polls_its_progress(client, login, make):
    login(make.user(Role.IT_ADMIN))
    run = ImportRun(actor="cli:it", files=["students.csv"], status="running")
    run.progress_done, run.progress_total = 30, 120
    db.session.add(run)
    db.session.commit()

    partial = client.get(f"/directory/imports/{run.id}/progress")

    assert b'hx-trigger="every 2s"' in partial.data
    assert b"<progress" in partial.data
    run.status = "imported"
    db.session.commit()
    done = client.get(f"/directory/imports/{run.id}/progress")
    assert b"hx-trigger" not in done.data


def test_principal_cannot_see_import_runs(client, login, make):
    login(make.user(Role.PRINCIPAL, building=make.building("LAK")))

    assert client.get("/directory/imports").status_code == 403


def test_home_cards_for_it_principal_and_office(client, login, make):
    school = make.building("LAK")
    for user, words in [
        (make.user(Role.IT_ADMIN), b"Directory imports"),
        (make.user(Role.PRINCIPAL, building=school), b"Contact log"),
        (make.user(Role.OFFICE_STAFF, building=school), b"My contact problems"),
    ]:
        from flask import g

        g.pop("_login_user", None)
        login(user)
        assert words in client.get("/").data
