"""The attendance pages: clerk's day, holds with htmx, upload, templates, report."""

import io
from datetime import date

import pytest
from sqlalchemy import select

from portal.accounts.models import AuditEvent
from portal.attendance import holds, service
from portal.attendance.models import Absence, AttendanceTemplate
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.policy import Role
from tests.query_count import page_statements

DAY = date(2026, 12, 3)


@pytest.fixture
def school(make):
    return make.building("LAK", name="Lakeview Elementary")


@pytest.fixture
def clerk(make, school):
    return make.user(Role.ATTENDANCE_CLERK, building=school)


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_clerk_sees_todays_absences_without_names_in_urls(
    client, login, make, school, clerk, absent
):
    kid = make.student(school, first_name="Ana", last_name="Reyes")
    absent(kid, DAY)
    login(clerk)

    index = client.get("/attendance/")
    page = client.get(f"/attendance/{school.id}?date=2026-12-03")

    assert index.status_code == 302
    assert index.headers["Location"].endswith(f"/attendance/{school.id}")
    assert page.status_code == 200
    assert b"Ana Reyes" in page.data
    assert b"Not yet called" in page.data
    assert "attendance.absences_viewed" in actions()


def test_day_page_runs_the_same_statements_for_few_or_many_absences(
    client, login, make, school, clerk, absent
):
    login(clerk)

    absent(make.student(school), DAY)
    page_statements(client, f"/attendance/{school.id}?date=2026-12-03")
    few = page_statements(client, f"/attendance/{school.id}?date=2026-12-03")
    for _ in range(12):
        absent(make.student(school), DAY)
    # One statement per absence would add 12 or more; the signed-in user may
    # be reloaded once, as the test's app context is shared with requests.
    assert (
        page_statements(client, f"/attendance/{school.id}?date=2026-12-03") <= few + 2
    )


def test_other_buildings_absences_are_not_found(client, login, make, clerk):
    other = make.building("OTH")
    login(clerk)

    assert client.get(f"/attendance/{other.id}").status_code == 404
    assert client.get(f"/attendance/report/{other.id}").status_code == 404


def test_hold_with_htmx_returns_the_row_and_is_audited(
    client, login, make, school, clerk, absent, csrf
):
    absence = absent(make.student(school), DAY)
    login(clerk)

    response = client.post(
        f"/attendance/absences/{absence.id}/hold",
        data={"held": "1"},
        headers={**csrf, "HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b'id="absence-' in response.data
    assert b"Release" in response.data
    assert db.session.get(Absence, absence.id).held is True
    assert "attendance.hold" in actions()


def test_release_after_the_run_queues_the_run_and_says_the_family_is_called(
    client, login, make, school, clerk, absent, csrf, woken, google_tts
):
    from rq.job import Job

    from jobs import attendance as attendance_jobs
    from portal.queues import get_queue

    kid = make.student(school)
    make.guardian(kid)
    absence = absent(kid, DAY, held=True)
    service.run_building(school.id, DAY)
    queue = get_queue(attendance_jobs.QUEUE)
    queue.empty()
    login(clerk)

    response = client.post(
        f"/attendance/absences/{absence.id}/hold",
        data={"held": "0"},
        headers={**csrf, "HX-Request": "true"},
    )

    assert "this family will be called in a few minutes" in response.get_data(True)
    job = Job.fetch(attendance_jobs.run_job_id(school.id, DAY), queue.connection)
    assert (job.func_name, job.args) == (
        "jobs.attendance.run_building",
        (school.id, "2026-12-03"),
    )
    queue.empty()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.unhold")
    ).one()
    assert event.details["release"] == "calling"


def test_todays_page_follows_the_calls_until_each_has_an_outcome(
    app, client, login, make, school, clerk, absent, woken, google_tts
):
    from portal import clock

    with app.app_context():
        today = clock.today()
    kid = make.student(school, first_name="Ana")
    make.guardian(kid)
    absent(kid, today)
    service.run_building(school.id, today)
    login(clerk)
    polled = f"/attendance/{school.id}/calls?date={today.isoformat()}"

    page = client.get(f"/attendance/{school.id}").get_data(True)
    calling = client.get(polled).get_data(True)
    viewed = actions().count("attendance.absences_viewed")
    (call,) = db.session.scalars(select(Delivery))
    call.state = "answered"
    db.session.commit()
    done = client.get(polled).get_data(True)

    assert 'hx-trigger="every 5s"' in page
    assert f'hx-get="{polled}"' in calling.replace("&amp;", "&")
    assert "Calling: 1" in calling
    assert "Reached: 1" in done
    assert "hx-trigger" not in done  # nothing left to change: polling stops
    assert viewed == 1 == actions().count("attendance.absences_viewed")


def test_clerk_cannot_hold_another_buildings_absence(
    client, login, make, clerk, absent, csrf
):
    other = make.building("OTH")
    absence = absent(make.student(other), DAY)
    login(clerk)

    response = client.post(
        f"/attendance/absences/{absence.id}/hold", data={"held": "1"}, headers=csrf
    )

    assert response.status_code == 404


def test_after_the_run_the_page_says_who_was_reached(
    client, login, make, school, clerk, absent, woken, google_tts
):
    reached = make.student(school, first_name="Ana")
    missed = make.student(school, first_name="Eva")
    make.guardian(reached, phone="+12535550141")
    make.guardian(missed, phone="+12535550142")
    absent(reached, DAY)
    absent(missed, DAY)
    service.run_building(school.id, DAY)
    for delivery in db.session.scalars(select(Delivery)):
        delivery.state = "answered" if delivery.address.endswith("41") else "no_answer"
    db.session.commit()
    login(clerk)

    page = client.get(f"/attendance/{school.id}?date=2026-12-03").get_data(True)
    report = client.get(f"/attendance/report/{school.id}?date=2026-12-03")

    assert "Reached" in page
    assert "Not reached" in page
    assert report.status_code == 200
    body = report.get_data(True)
    assert "<svg" in body
    assert "Households called</th><td>2" in body


def test_upload_rejects_a_bad_file_and_lists_problems(
    client, login, make, school, clerk, csrf
):
    make.student(school, student_number="S1")
    login(clerk)
    bad = b"date,student_id,building_code,code\n2026-12-03,S404,LAK,U\n"

    response = client.post(
        "/attendance/upload",
        data={"file": (io.BytesIO(bad), "absences.csv")},
        headers=csrf,
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert b"absences.csv:2: student_id: unknown student" in response.data
    assert db.session.query(Absence).count() == 0


def test_upload_imports_a_good_file(client, login, make, school, clerk, csrf):
    make.student(school, student_number="S1")
    login(clerk)
    good = b"date,student_id,building_code,code\n2026-12-03,S1,LAK,U\n"

    response = client.post(
        "/attendance/upload",
        data={"file": (io.BytesIO(good), "absences.csv")},
        headers=csrf,
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert db.session.query(Absence).count() == 1


def test_it_admin_edits_template_and_it_is_audited(client, login, make, csrf):
    admin = make.user(Role.IT_ADMIN)
    login(admin)
    form = {
        "subject": "Thông báo từ {school}",
        "text": "Trường {school}: {names} vắng mặt ngày {date}.",
        "and_word": "và",
    }

    listing = client.get("/attendance/templates")
    saved = client.post("/attendance/templates/vi", data=form, headers=csrf)

    assert listing.status_code == 200
    assert saved.status_code == 302
    row = db.session.scalar(select(AttendanceTemplate))
    assert (row.language, row.and_word) == ("vi", "và")
    assert "attendance.template_saved" in actions()


def test_template_with_unknown_placeholder_is_refused(client, login, make, csrf):
    login(make.user(Role.COMMUNITY_RELATIONS_DIRECTOR))

    response = client.post(
        "/attendance/templates/es",
        data={"subject": "", "text": "{nombre} faltó", "and_word": "y"},
        headers=csrf,
    )

    assert response.status_code == 200
    assert b"unknown placeholder {nombre}" in response.data
    assert db.session.query(AttendanceTemplate).count() == 0


def test_preview_reads_sample_names_and_plays_espeak_audio(client, login, make, csrf):
    login(make.user(Role.IT_ADMIN))

    response = client.post(
        "/attendance/templates/es/preview",
        data={"subject": "", "text": "{names} faltó a {school}.", "and_word": "y"},
        headers={**csrf, "HX-Request": "true"},
    )

    body = response.get_data(True)
    assert "Alex Sample y Sam Sample faltó a Sample School." in body
    audio_url = body.split('src="')[1].split('"')[0]
    audio = client.get(audio_url)
    data = audio.get_data()
    audio.close()
    assert audio.status_code == 200
    assert data[:4] == b"RIFF"
    assert db.session.query(AttendanceTemplate).count() == 0


def test_preview_audio_of_someone_else_is_not_served(client, login, make):
    login(make.user(Role.IT_ADMIN))
    assert client.get("/attendance/previews/1").status_code == 404


def test_clerk_cannot_edit_templates(client, login, clerk):
    login(clerk)
    assert client.get("/attendance/templates").status_code == 403


def test_home_card_counts_todays_absences(client, login, make, school, clerk, absent):
    from portal import clock

    absent(make.student(school), clock.today())
    login(clerk)

    page = client.get("/").get_data(True)

    assert "Attendance calls" in page
    assert "Review absences" in page


def test_report_shows_language_fallbacks_and_leaves_out_held_calls(
    client, login, make, school, clerk, absent, woken, google_tts
):
    somali = make.student(school)
    make.guardian(somali, phone="+12535550151", language="so")
    absent(somali, DAY)
    held = make.student(school)
    make.guardian(held, phone="+12535550152")
    held_absence = absent(held, DAY)
    service.run_building(school.id, DAY)
    held_absence.held = True
    holds.cancel_held(held_absence)
    db.session.commit()
    login(clerk)

    body = client.get(f"/attendance/report/{school.id}?date=2026-12-03").get_data(True)

    assert "Households called</th><td>1" in body
    assert "so → English" in body
