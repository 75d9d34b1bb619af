"""Enrolment and progress rules, through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import AuditEvent, Enrolment, LessonCompletion
from academy.services import ServiceError, learning
from tests.learn.conftest import lesson_by_slug


def test_enrol_is_idempotent_and_recorded_once(member, basics):
    first = learning.enrol(member, basics)
    second = learning.enrol(member, basics)
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) >= 1
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "learning.enrolled", AuditEvent.subject_user_id == member.id
        )
    ).all()
    assert len(events) == 1


def test_unmet_prerequisites_are_refused_and_explained(member, leading):
    with pytest.raises(ServiceError, match="Complete “Organising basics” before"):
        learning.enrol(member, leading)
    assert learning.enrolment_for(member.id, leading.id) is None
    # A trainer enrolling a cohort may override.
    enrolment = learning.enrol(member, leading, check_prerequisites=False)
    assert enrolment.active


def test_leaving_keeps_progress_and_rejoining_carries_on(enrolled, basics):
    lesson = basics.lessons[0]
    learning.complete_lesson(enrolled, lesson)
    learning.leave(enrolled, basics)
    db.session.commit()
    assert learning.active_enrolment(enrolled.id, basics.id) is None
    with pytest.raises(ServiceError, match="Enrol in this course"):
        learning.complete_lesson(enrolled, basics.lessons[1])
    with pytest.raises(ServiceError, match="not enrolled"):
        learning.leave(enrolled, basics)
    again = learning.enrol(enrolled, basics)
    assert again.active
    progress = learning.course_progress(enrolled, basics)
    assert progress.lessons_done == 1
    assert progress.next_lesson == basics.lessons[1]


def test_completing_a_lesson_twice_keeps_the_first_date(enrolled, basics):
    lesson = lesson_by_slug(basics, "why-listen-first")
    first = learning.complete_lesson(enrolled, lesson)
    db.session.commit()
    when = first.completed_at
    again = learning.complete_lesson(enrolled, lesson)
    db.session.commit()
    assert again.completed_at == when
    count = db.session.scalar(
        select(func.count()).where(
            LessonCompletion.user_id == enrolled.id, LessonCompletion.lesson_id == lesson.id
        )
    )
    assert count == 1


def test_lessons_alone_do_not_complete_a_course_with_quizzes(enrolled, basics):
    for lesson in basics.lessons:
        learning.complete_lesson(enrolled, lesson)
    progress = learning.course_progress(enrolled, basics)
    assert progress.lessons_done == progress.lessons_total == 4
    assert progress.completed_at is None
    assert progress.next_lesson is None
    assert progress.next_step == basics.modules[0].quiz
    assert progress.percent == (100 * 4) // 6


def test_progress_for_members_is_a_fixed_number_of_queries(app, make_user, basics, count_queries):
    def members(n):
        people = [make_user() for _ in range(n)]
        for person in people:
            learning.enrol(person, basics)
            learning.complete_lesson(person, basics.lessons[0])
        db.session.commit()
        return [person.id for person in people]

    few = members(2)
    many = few + members(6)
    db.session.expire_all()
    with count_queries() as small:
        learning.progress_for_members(basics.id, few)
    db.session.expire_all()
    with count_queries() as large:
        result = learning.progress_for_members(basics.id, many)
    assert len(large) == len(small)
    first_module = basics.modules[0].id
    assert all(result[i].lessons_done_by_module[first_module] == 1 for i in many)
    assert all(result[i].enrolled and not result[i].completed for i in many)


def test_progress_for_members_includes_people_never_enrolled(member, basics):
    result = learning.progress_for_members(basics.id, [member.id])
    assert result[member.id].enrolled_at is None
    assert result[member.id].percent == 0
