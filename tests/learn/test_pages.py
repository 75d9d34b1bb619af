"""The learning pages over real HTTP: catalogue, course, enrolment, lessons, images, dashboard."""

from __future__ import annotations

from sqlalchemy import func, select

from academy.extensions import db
from academy.models import LessonCompletion
from academy.services import learning
from tests.learn.conftest import lesson_by_slug, responses, wrong

LESSON = "/courses/organising-basics/lessons/why-listen-first"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_catalogue_shows_every_course_to_anyone(client):
    page = text(client.get("/courses"))
    assert "Organising basics" in page
    assert "Leading campaigns" in page
    assert "Foundation" in page
    assert "Accredited certificate" in page
    assert "4 credit hours" in page


def test_course_page_shows_facts_outline_and_the_way_in(client, login, member):
    page = text(client.get("/courses/organising-basics"))
    assert "Sign in</a> or" in page
    assert 'id="module-listening"' in page
    assert "Why we listen first" in page
    assert "accredited certificate" in page
    login(client, member)
    page = text(client.get("/courses/organising-basics"))
    assert "Enrol in this course" in page
    # Before enrolling, lessons are listed but not linked.
    assert f'href="{LESSON}"' not in page


def test_unmet_prerequisites_explain_what_to_do_first(client, login, member, leading):
    login(client, member)
    page = text(client.get("/courses/leading-campaigns"))
    assert "Complete this one first" in page
    assert "Not completed yet" in page
    assert "Enrol in this course" not in page
    response = client.post("/courses/leading-campaigns/enrol")
    assert response.status_code == 303
    page = text(client.get(response.location))
    assert "Complete “Organising basics” before you start this course." in page
    assert learning.enrolment_for(member.id, leading.id) is None


def test_enrolling_takes_the_member_to_the_first_lesson(client, login, member, basics):
    login(client, member)
    response = client.post("/courses/organising-basics/enrol")
    assert response.status_code == 303
    assert response.location.endswith(LESSON)
    assert learning.active_enrolment(member.id, basics.id) is not None
    # Enrolling again changes nothing.
    client.post("/courses/organising-basics/enrol")
    assert learning.enrolment_for(member.id, basics.id).active


def test_lessons_are_not_served_to_members_not_enrolled(client, login, member):
    login(client, member)
    response = client.get(LESSON)
    assert response.status_code == 403
    page = text(response)
    assert "Enrol in Organising basics to continue" in page
    assert "listen before" not in page.lower().split("<main", 1)[1].split("enrol")[0]
    assert client.get("/courses/organising-basics/media/listening/ward-map.png").status_code == 403
    assert client.get("/courses/organising-basics/quizzes/listening").status_code == 403
    assert client.post(LESSON + "/complete").status_code == 403


def test_the_lesson_page_shows_the_lesson_in_its_module(client, login, enrolled, basics):
    login(client, enrolled)
    page = text(client.get(LESSON))
    assert "Lesson 1 of 2 in module 1" in page
    assert "Mark as complete" in page
    assert "Next: Running a listening campaign" in page
    assert "Previous" not in page
    assert 'aria-current="page">Why we listen first' in page
    second = text(client.get("/courses/organising-basics/lessons/running-a-listening-campaign"))
    assert "Previous: Why we listen first" in second
    assert "Next: Quiz: Listening campaigns" in second


def test_unknown_lessons_and_courses_are_404(client, login, enrolled):
    login(client, enrolled)
    assert client.get("/courses/organising-basics/lessons/nope").status_code == 404
    assert client.get("/courses/nope").status_code == 404
    assert client.get("/courses/nope/lessons/why-listen-first").status_code == 404
    assert client.get("/courses/organising-basics/quizzes/nope").status_code == 404


def test_mark_as_complete_twice_records_once(client, login, enrolled, basics):
    login(client, enrolled)
    lesson = lesson_by_slug(basics, "why-listen-first")
    first = client.post(LESSON + "/complete")
    assert first.status_code == 303
    assert first.location.endswith("/lessons/running-a-listening-campaign")
    when = db.session.get(LessonCompletion, (enrolled.id, lesson.id)).completed_at
    again = client.post(LESSON + "/complete")
    assert again.status_code == 303
    count = db.session.scalar(select(func.count()).where(LessonCompletion.user_id == enrolled.id))
    assert count == 1
    assert db.session.get(LessonCompletion, (enrolled.id, lesson.id)).completed_at == when
    page = text(client.get(LESSON))
    assert "You have marked this lesson as complete" in page
    assert "Mark as complete" not in page


def test_mark_as_complete_needs_the_csrf_token(client, login, enrolled):
    login(client, enrolled)
    assert client.post(LESSON + "/complete", csrf=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(LessonCompletion)) == 0


def test_images_are_served_to_enrolled_members_only(client, login, enrolled, make_user):
    login(client, enrolled)
    response = client.get("/courses/organising-basics/media/listening/ward-map.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert "public" not in response.headers["Cache-Control"]
    for bad in ("../module.md", "..%2Fmodule.md", "missing.png", ".hidden.png", "x.svg"):
        url = f"/courses/organising-basics/media/listening/{bad}"
        assert client.get(url).status_code == 404, bad
    assert client.get("/courses/organising-basics/media/teams/ward-map.png").status_code == 404
    other = make_user()
    login(client, other)
    assert client.get("/courses/organising-basics/media/listening/ward-map.png").status_code == 403


def test_leaving_asks_first_then_keeps_progress(client, login, enrolled, basics):
    login(client, enrolled)
    client.post(LESSON + "/complete")
    assert "Leave the course" in text(client.get("/courses/organising-basics/leave"))
    response = client.post("/courses/organising-basics/leave")
    assert response.status_code == 303
    assert learning.active_enrolment(enrolled.id, basics.id) is None
    assert client.get(LESSON).status_code == 403
    page = text(client.get("/dashboard"))
    assert "Courses you left" in page
    client.post("/courses/organising-basics/enrol")
    assert learning.course_progress(enrolled, basics).lessons_done == 1


def test_dashboard_continues_where_the_member_left_off(client, login, enrolled):
    login(client, enrolled)
    client.post(LESSON + "/complete")
    page = text(client.get("/dashboard"))
    assert "Organising basics" in page
    assert "Next: Running a listening campaign" in page
    assert 'href="/courses/organising-basics/lessons/running-a-listening-campaign"' in page
    assert "1 of 4 lessons" in page


def test_dashboard_shows_only_the_members_own_learning(client, login, enrolled, make_user):
    login(client, enrolled)
    client.post(LESSON + "/complete")
    stranger = make_user()
    login(client, stranger)
    page = text(client.get("/dashboard"))
    assert "Organising basics" not in page.split("Browse all courses")[0].split("In progress")[1]
    assert "You are not taking a course" in page


def _lesson_page_queries(client, count_queries) -> int:
    db.session.expire_all()
    with count_queries() as queries:
        assert client.get(LESSON).status_code == 200
    return len(queries)


def test_lesson_page_queries_do_not_grow_with_history(
    client, login, enrolled, basics, count_queries
):
    login(client, enrolled)
    client.get(LESSON)
    before = _lesson_page_queries(client, count_queries)
    for lesson in basics.lessons:
        learning.complete_lesson(enrolled, lesson)
    for module in basics.modules:
        for _ in range(2):
            attempt = learning.start_attempt(enrolled, module.quiz)
            learning.submit_attempt(enrolled, attempt, responses(attempt, wrong(attempt)))
    db.session.commit()
    after = _lesson_page_queries(client, count_queries)
    assert after == before
    assert after <= 14, after


def test_dashboard_queries_do_not_grow_with_courses_or_attempts(
    client, login, enrolled, basics, leading, count_queries
):
    login(client, enrolled)

    def dashboard_queries() -> int:
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get("/dashboard").status_code == 200
        return len(queries)

    client.get("/dashboard")
    one_course = dashboard_queries()
    learning.enrol(enrolled, leading, check_prerequisites=False)
    for lesson in basics.lessons + leading.lessons:
        learning.complete_lesson(enrolled, lesson)
    db.session.commit()
    two_courses = dashboard_queries()
    assert two_courses == one_course
    assert one_course <= 14, one_course


def test_a_retired_course_stays_on_the_record_but_is_not_offered(
    client, login, enrolled, basics, leading
):
    from academy.timeutil import utcnow

    learning.enrol(enrolled, leading, check_prerequisites=False)
    learning.enrolment_for(enrolled.id, basics.id).completed_at = utcnow()
    basics.retired_at = leading.retired_at = utcnow()
    db.session.commit()
    login(client, enrolled)
    page = text(client.get("/dashboard"))
    completed = page.split('id="completed"')[1]
    assert "Organising basics" in completed
    assert 'href="/courses/organising-basics"' not in page
    assert "Leading campaigns" not in page
    assert client.get("/courses/organising-basics").status_code == 404
    assert "Organising basics" not in text(client.get("/courses"))


def test_catalogue_and_course_page_queries_do_not_grow_with_history(
    client, login, enrolled, basics, leading, count_queries
):
    login(client, enrolled)

    def queries(path) -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    client.get("/courses")
    before = (queries("/courses"), queries("/courses/organising-basics"))
    learning.enrol(enrolled, leading, check_prerequisites=False)
    for lesson in basics.lessons + leading.lessons:
        learning.complete_lesson(enrolled, lesson)
    for module in basics.modules:
        attempt = learning.start_attempt(enrolled, module.quiz)
        learning.submit_attempt(enrolled, attempt, responses(attempt, wrong(attempt)))
    db.session.commit()
    assert (queries("/courses"), queries("/courses/organising-basics")) == before


def test_catalogue_lists_foundation_courses_first(client):
    html = client.get("/courses").get_data(as_text=True)
    # organising-basics is a foundation course; leading-campaigns builds on it.
    assert html.index("/courses/organising-basics") < html.index("/courses/leading-campaigns")
