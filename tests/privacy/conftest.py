"""A small world in which one member has data in every table that can point at a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Announcement,
    Attendance,
    Certificate,
    Cohort,
    CohortInvite,
    CohortMember,
    CohortSession,
    CohortTrainer,
    Course,
    CourseEvaluation,
    Enrolment,
    LessonCompletion,
    SessionFeedback,
    SessionReminder,
    TrainerLineage,
    TrainerPromotion,
    User,
    WaitingPlace,
)
from academy.models.certificates import CertificateBatch
from academy.services import accounts, certificates, equality, learning, privacy, security_log
from academy.services.academies import academy_by_slug
from academy.services.access_log import record_access
from academy.services.audit import record
from academy.timeutil import utcnow
from tests.conftest import WrittenOrder
from tests.learn.conftest import responses

MEMBER_EMAIL = "zebedee.quillfeather@example.org"
MEMBER_NAME = "Zebedee Quillfeather"
OTHER_EMAIL = "ottoline.brackenbury@example.org"
OTHER_NAME = "Ottoline Brackenbury"


@dataclass
class World:
    member: User
    other: User
    trainer: User
    staff: User
    course: Course
    cohort: Cohort
    certificate: Certificate
    certificate_code: str
    profile_id: str


def _learning(person: User, course: Course, *, answer_text: str) -> None:
    lesson = course.lessons[0]
    quiz = course.modules[0].quiz
    now = utcnow()
    db.session.add(
        Enrolment(user_id=person.id, course_id=course.id, completed_at=now, last_activity_at=now)
    )
    db.session.add(LessonCompletion(user_id=person.id, lesson_id=lesson.id, course_id=course.id))
    if quiz is not None:
        # A real attempt at the listening quiz (review: after-pass), failed: its answer key
        # must not reach the member's export. Its first three questions, as written.
        db.session.flush()
        attempt = learning.start_attempt(person, quiz, rng=WrittenOrder())
        learning.submit_attempt(
            person,
            attempt,
            responses(
                attempt,
                {
                    "what-comes-first-in-a-listening-campaign": "a",
                    "which-of-these-belong-in-a-listening-conversation-choose-all": ["c"],
                    "what-do-we-call-going-back-to-tell-people-what-we-heard": answer_text,
                },
            ),
        )


@pytest.fixture
def world(app, make_user) -> World:
    # The member is staff too (below), and staff must have two-step sign-in.
    member = make_user(name=MEMBER_NAME, email=MEMBER_EMAIL, second_factor=True)
    other = make_user(name=OTHER_NAME, email=OTHER_EMAIL)
    trainer = make_user(name="Trinity Tutor", email="trinity.tutor@example.org", roles=("trainer",))
    staff = make_user(name="Stella Officer", email="stella.officer@example.org", roles=("staff",))
    north_west = academy_by_slug("north-west")
    course = db.session.scalar(select(Course).where(Course.slug == "organising-basics"))
    # The member is staff too, so role rows point at them and they can act on others.
    accounts.grant_role(member, "staff", academy=north_west, actor=staff)

    for person in (member, other):
        _learning(person, course, answer_text=f"I am {person.display_name}")

    today = date.today()
    cohort = Cohort(
        academy_id=north_west.id,
        course_id=course.id,
        name="Salford spring",
        mode="in-person",
        venue="Salford Central Library",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
        capacity=20,
        created_by_id=member.id,
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=member.id))
    now = utcnow()
    for person in (member, other):
        db.session.add(
            CohortMember(
                cohort_id=cohort.id,
                user_id=person.id,
                signed_off_at=now,
                signed_off_by_id=trainer.id if person is member else member.id,
            )
        )
    session = CohortSession(
        cohort_id=cohort.id,
        title="First meeting",
        starts_at=now - timedelta(days=7),
        ends_at=now - timedelta(days=7) + timedelta(hours=2),
    )
    db.session.add(session)
    db.session.flush()
    for person in (member, other):
        db.session.add(
            Attendance(
                session_id=session.id, user_id=person.id, status="present", recorded_by_id=member.id
            )
        )
    # What members said about the training, a reminder sent and a waiting place (issue 22).
    for person in (member, other):
        db.session.add(
            SessionFeedback(
                session_id=session.id,
                user_id=person.id,
                clear=5,
                useful=4,
                well_run=5,
                recommend=4,
                comment=f"Said by {person.display_name}",
            )
        )
        db.session.add(
            CourseEvaluation(cohort_id=cohort.id, user_id=person.id, overall=4, recommend=5)
        )
    db.session.add(SessionReminder(session_id=session.id, user_id=member.id))
    db.session.add(WaitingPlace(cohort_id=cohort.id, user_id=member.id))
    db.session.add(
        CohortInvite(
            cohort_id=cohort.id,
            token="personal-invite-token-member",
            email=MEMBER_EMAIL,
            expires_at=now + timedelta(days=10),
            created_by_id=member.id,
        )
    )
    db.session.add(
        CohortInvite(
            cohort_id=cohort.id,
            token="personal-invite-token-other",
            email=OTHER_EMAIL,
            expires_at=now + timedelta(days=10),
            created_by_id=trainer.id,
        )
    )
    db.session.add(
        Announcement(
            cohort_id=cohort.id, author_id=member.id, subject="Hello", body="See you on Tuesday."
        )
    )
    db.session.flush()

    certificate = certificates.issue(member, course, actor=staff, cohort=cohort)
    code = certificate.code
    other_certificate = certificates.issue(other, course, actor=member, cohort=cohort)
    certificates.revoke(other_certificate, actor=member, reason="Issued by mistake")
    db.session.add(
        CertificateBatch(
            cohort_id=cohort.id,
            course_id=course.id,
            academy_id=north_west.id,
            created_by_id=member.id,
            user_ids=[member.id, other.id],
        )
    )
    promotion = TrainerPromotion(
        user_id=member.id,
        academy_id=north_west.id,
        decision="promoted",
        note=f"{MEMBER_NAME} ran a great session",
        certificate_id=certificate.id,
        cohort_id=cohort.id,
        decided_by_id=member.id,
        demoted_by_id=member.id,
    )
    db.session.add(promotion)
    db.session.flush()
    db.session.add(
        TrainerLineage(
            promotion_id=promotion.id,
            trainee_id=member.id,
            trainer_id=member.id,
            cohort_id=cohort.id,
            academy_id=north_west.id,
        )
    )
    db.session.add(
        TrainerLineage(
            promotion_id=promotion.id,
            trainee_id=member.id,
            trainer_id=trainer.id,
            cohort_id=cohort.id,
            academy_id=north_west.id,
        )
    )
    # Audit and access-log rows both about and by the member, some with personal values.
    record("test.note", actor=staff, subject=member, email=MEMBER_EMAIL, name=MEMBER_NAME)
    record("test.action", actor=member, subject=other, target=f"{OTHER_NAME}")
    # A row that holds the member's address without pointing at their account.
    record("test.letter", actor=staff, subject=other, note=f"copied to {MEMBER_EMAIL.upper()}")
    record_access(staff, member, "admin.member-page")
    record_access(member, other, "cohort.csv-export", target=f"cohort:{cohort.id}")
    # A failed sign-in on the member's account, in the security log.
    security_log.record("signin.failed", user=member)
    request = privacy.open_request(member, "export", actor=staff, channel="staff")
    privacy.complete_request(request, actor=member)
    equality.save_answers(member, {"gender": "man", "ethnic-group": "mixed", "disability": "yes"})
    equality.save_answers(other, {"gender": "woman", "ethnic-group": "white"})
    db.session.commit()
    from academy.models import EqualityLink

    profile_id = db.session.get(EqualityLink, member.id).profile_id
    assert other_certificate.user_id == other.id
    return World(
        member=member,
        other=other,
        trainer=trainer,
        staff=staff,
        course=course,
        cohort=cohort,
        certificate=certificate,
        certificate_code=code,
        profile_id=profile_id,
    )
