"""Staff preview a course without enrolling: every lesson, every quiz with its
answers and feedback, its images; nothing is recorded, and nobody else may."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Enrolment, LessonCompletion, Question, QuizAttempt
from academy.services.learning.outline import outlines

BASE = "/courses/organising-basics/preview"


def _progress_rows() -> int:
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Enrolment, LessonCompletion, QuizAttempt)
    )


@pytest.fixture
def staff(make_user):
    return make_user(roles=("staff",), name="Sam Staff")


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_read_every_lesson_and_quiz_and_nothing_is_recorded(
    app, login, make_user, basics, role
):
    client = login(app.test_client(), make_user(roles=(role,)))
    before = _progress_rows()
    course = outlines().course("organising-basics")

    outline = client.get(BASE)
    assert outline.status_code == 200
    assert "Staff preview." in outline.text
    for lesson in course.lessons:
        assert f'href="{BASE}/lessons/{lesson.slug}"' in outline.text
        page = client.get(f"{BASE}/lessons/{lesson.slug}")
        assert page.status_code == 200
        body_html, _ = outlines().body(lesson)
        assert body_html in page.text  # the lesson as members read it
        assert "Mark as complete</button>" not in page.text
    for module in course.modules:
        if module.quiz is None:
            continue
        assert f'href="{BASE}/quizzes/{module.slug}"' in outline.text
        page = client.get(f"{BASE}/quizzes/{module.slug}").text
        questions = db.session.scalars(
            sa.select(Question).where(
                Question.quiz_id == module.quiz.id, Question.retired_at.is_(None)
            )
        ).all()
        assert page.count('class="review-item"') == len(questions)
        correct = sum(len(q.correct_keys) for q in questions)
        assert page.count("Correct answer</span>") == correct
        for question in questions:
            for option in question.options:
                if option.get("feedback_html"):
                    assert option["feedback_html"] in page
            for answer in question.accepted_answers:
                assert answer in page
    # Its images too, which otherwise only enrolled members may fetch.
    image = client.get("/courses/organising-basics/media/listening/ward-map.png")
    assert image.status_code == 200
    assert _progress_rows() == before


def test_the_course_page_offers_the_preview_to_staff_only(app, login, make_user, staff, basics):
    link = f'href="{BASE}"'
    assert link in login(app.test_client(), staff).get("/courses/organising-basics").text
    for roles in ((), ("trainer",)):
        page = login(app.test_client(), make_user(roles=roles)).get("/courses/organising-basics")
        assert link not in page.text, roles
    assert link not in app.test_client().get("/courses/organising-basics").text


def test_members_and_trainers_cannot_preview_even_when_enrolled(
    app, client, login, make_user, enrolled
):
    urls = [
        BASE,
        f"{BASE}/lessons/{outlines().course('organising-basics').lessons[0].slug}",
        f"{BASE}/quizzes/{outlines().course('organising-basics').modules[0].slug}",
    ]
    for person in (enrolled, make_user(roles=("trainer",))):
        signed_in = login(app.test_client(), person)
        for url in urls:
            response = signed_in.get(url)
            assert response.status_code == 403, (person.display_name, url)
            assert "Correct answer" not in response.text
    for url in urls:
        response = app.test_client().get(url)
        assert response.status_code == 302
        assert "/login" in response.location


def test_unknown_courses_lessons_and_quizzes_are_not_found(app, login, staff, basics):
    client = login(app.test_client(), staff)
    assert client.get("/courses/no-such-course/preview").status_code == 404
    assert client.get(f"{BASE}/lessons/no-such-lesson").status_code == 404
    assert client.get(f"{BASE}/quizzes/no-such-module").status_code == 404
    # Another course's lesson and module are not this course's.
    other = outlines().course("leading-campaigns")
    assert client.get(f"{BASE}/lessons/{other.lessons[0].slug}").status_code == 404
    assert client.get(f"{BASE}/quizzes/{other.modules[0].slug}").status_code == 404


def test_the_preview_pager_stays_in_the_preview(app, login, staff, basics):
    client = login(app.test_client(), staff)
    course = outlines().course("organising-basics")
    first = client.get(f"{BASE}/lessons/{course.lessons[0].slug}").text
    links = re.findall(r'<a href="([^"]+)" rel="next">', first)
    assert links == [f"{BASE}/lessons/{course.lessons[1].slug}"]
    last_lesson_of_first_module = course.modules[0].lessons[-1]
    page = client.get(f"{BASE}/lessons/{last_lesson_of_first_module.slug}").text
    assert re.findall(r'<a href="([^"]+)" rel="next">', page) == [
        f"{BASE}/quizzes/{course.modules[0].slug}"
    ]
