"""`flask academy seed-demo`: a small academy in motion, for a newcomer to explore.

One cohort of a dozen members at different stages (one falling behind, one
completed and signed off, one waiting to be signed off, one waiting for a
certificate), sessions past and upcoming with attendance, an issued
certificate and a revoked one, a graduate of Train the trainer waiting for
promotion, a data request logged by an admin, and the report figures all this
makes. Everything is made through the services, so the rules hold (joining,
sign-off, eligibility, numbering, audit); the only thing done by hand is moving
the learning's dates into the past, so that the cohort has a history.

Demo data is marked: every address ends in @demo.example.org (a domain reserved
for examples), the cohort and people are named "(demo)", and a marker in
the instance folder makes every page carry a banner (academy.demo_marker). It is
never made in production.

Running it again changes no data: the world is made once; the four sign-in
accounts get new passwords (and two-step keys) each time, as they are printed.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from academy.database import unit_of_work
from academy.demo_marker import database_key, marker_path
from academy.extensions import db
from academy.formatting import UK
from academy.models import Cohort, Course, Enrolment, LessonCompletion, QuizAttempt, User
from academy.models.cohorts import CohortMember
from academy.models.content import Quiz
from academy.models.people import Role
from academy.services import accounts, learning, privacy, two_factor
from academy.services import certificates as certificates_service
from academy.services import cohorts as cohorts_service
from academy.services.academies import academy_by_slug, ensure_academies
from academy.services.access_log import record_access, record_access_many
from academy.services.learning.outline import CourseOutline
from academy.timeutil import utcnow

# Reserved for examples (RFC 2606): it can never reach a real person. (".invalid" would
# be better still, but the sign-in form rightly refuses special-use domains.)
DOMAIN = "demo.example.org"
ACADEMY = "north-west"
COHORT_COURSE = "organising"
CERTIFICATE_COURSE = "digital"  # the demo member's own certificate, earned self-study
COHORT_NAME = "Salford organising cohort (demo)"

# e-mail, name, role, academy slug: the accounts printed for signing in.
ACCOUNTS = (
    (f"member@{DOMAIN}", "Demo Member", Role.MEMBER, None),
    (f"trainer@{DOMAIN}", "Demo Trainer", Role.TRAINER, ACADEMY),
    (f"staff@{DOMAIN}", "Demo Staff", Role.STAFF, ACADEMY),
    (f"admin@{DOMAIN}", "Demo Admin", Role.ADMIN, None),
)

# The rest of the cohort: name and stage. A number is the share of the course done.
CERTIFIED, REVOKED, SIGNED_OFF, COMPLETED, BEHIND = (
    "certified",
    "revoked",
    "signed-off",
    "completed",
    "behind",
)
COHORT = (
    ("Aisha Khan", CERTIFIED),
    ("Ben Okafor", REVOKED),
    ("Chloe Davies", SIGNED_OFF),
    ("Dafydd Jones", COMPLETED),
    ("Emeka Adebayo", BEHIND),
    ("Fatima Begum", 0.8),
    ("Gareth Lewis", 0.6),
    ("Hannah Murphy", 0.45),
    ("Imran Patel", 0.3),
    ("Jasmine Walker", 0.15),
    ("Kofi Mensah", 0.0),  # joined this week
)
# What each role finds to do, printed under its account (and in the README).
TO_TRY = {
    "member": "Continue Community organising where you left off; see your next session, "
    "your certificate and its public check.",
    "trainer": f"Open {COHORT_NAME}: sign off Dafydd, see who is falling behind, take "
    "attendance at the next session.",
    "staff": "Issue the certificates waiting (Staff > eligible), look at the revoked one, "
    "see Priya Shah waiting for promotion (she needs an observed practice session "
    "first), read the reports.",
    "admin": "Answer Gareth Lewis's data request, read the access log, manage academies and roles.",
}
MEMBER_SHARE = 0.5  # the demo member, half way through the cohort's course
GRADUATE = "Priya Shah"  # Train the trainer graduate, waiting for promotion
DATA_REQUEST_FOR = "Gareth Lewis"


class DemoError(RuntimeError):
    """The demo cannot be made here (production, or the curriculum is missing)."""


@dataclass(frozen=True)
class SignIn:
    """One printed demo account: how to sign in, and what there is to do."""

    role: str
    email: str
    password: str
    academy: str | None
    second_factor_key: str | None = None
    recovery_code: str | None = None


def email_of(name: str) -> str:
    return name.lower().replace(" ", ".") + f"@{DOMAIN}"


def demo_name(name: str) -> str:
    return f"{name} (demo)"


def is_demo_email(email: str) -> bool:
    return email.endswith(f"@{DOMAIN}")


# Entry point ---------------------------------------------------------------------------


def seed_demo() -> tuple[list[SignIn], bool]:
    """Make (once) the demo academy and (each time) the sign-ins; commit. Returns the
    sign-ins to print and whether the world was made now (False: it was there)."""
    if current_app.config["ACADEMY_ENV"] == "production":
        raise DemoError("Demo data is never created in production.")
    with unit_of_work():
        ensure_academies()
        sign_ins, people = _sign_in_accounts()
        made = _world_exists() is False
        if made:
            _make_world(people)
    write_marker()
    _wait_for_mail()
    return sign_ins, made


def write_marker() -> None:
    """Tell every page of this database that it holds demo data (academy.demo_marker)."""
    path = marker_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"database": database_key(), "seeded_at": utcnow().isoformat()}))


def _wait_for_mail() -> None:
    """Let the e-mails the seeding queued in-process (certificates issued and revoked,
    to @demo.example.org) finish before the command exits and ends their threads."""
    for thread in threading.enumerate():
        if thread.name.startswith("job:"):
            thread.join(timeout=30)


# The sign-in accounts ------------------------------------------------------------------


def _sign_in_accounts() -> tuple[list[SignIn], dict[str, User]]:
    sign_ins, people = [], {}
    for email, name, role, academy_slug in ACCOUNTS:
        password = "-".join(secrets.token_hex(2) for _ in range(4))
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, password, check_password=False)
        else:
            user.password_hash = accounts.hash_password(password)
            user.end_all_sessions()
        academy = academy_by_slug(academy_slug) if academy_slug else None
        # Granted only when missing: granting records an audit event, and a second run
        # must add nothing.
        if role != Role.MEMBER and (
            role not in user.roles or (academy and academy not in user.academies_held(role))
        ):
            accounts.grant_role(user, role, academy=academy)
        key = recovery = None
        if user.must_have_second_factor:
            # Staff and admins cannot use their pages without two-step sign-in.
            secret, codes = two_factor.enrol_for_demo(user)
            key, recovery = two_factor.grouped(secret), codes[0]
        people[role.value] = user
        sign_ins.append(
            SignIn(
                role.value, email, password, academy.full_name if academy else None, key, recovery
            )
        )
    db.session.flush()
    return sign_ins, people


# The world -----------------------------------------------------------------------------


def _world_exists() -> bool:
    return (
        db.session.scalar(sa.select(Cohort.id).where(Cohort.name == COHORT_NAME).limit(1))
        is not None
    )


def _course(slug: str) -> Course:
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None or course.retired:
        raise DemoError(
            f"The demo needs the course {slug!r}: run `flask academy curriculum sync` first."
        )
    return course


def _person(name: str) -> User:
    email = email_of(name)
    user = accounts.find_user_by_email(email)
    if user is None:
        # Nobody signs in as these people: a long random password nobody knows.
        user = accounts.create_user(
            email, demo_name(name), secrets.token_urlsafe(24), check_password=False
        )
    return user


def _make_world(people: dict[str, User]) -> None:
    from academy.services.promotion.eligibility import trainer_slug

    member, trainer, staff, admin = (people[r] for r in ("member", "trainer", "staff", "admin"))
    academy = academy_by_slug(ACADEMY)
    course = _course(COHORT_COURSE)
    trainer_course = _course(trainer_slug())
    own_course = _course(CERTIFICATE_COURSE)
    today = utcnow().date()

    cohort = cohorts_service.create_cohort(
        trainer,
        academy=academy,
        course=course,
        details=cohorts_service.CohortDetails(
            name=COHORT_NAME,
            mode="in-person",
            venue="Salford Lads Club, St Ignatius Walk, Salford M5 3RX",
            meeting_url="",
            starts_on=today - timedelta(days=42),
            ends_on=today + timedelta(days=28),
            capacity=16,
            min_attendance_percent=50,
            inactive_after_days=14,
        ),
    )
    invite = cohorts_service.create_invite(cohort, trainer, days=60)
    stages = [(member, MEMBER_SHARE)] + [(_person(name), stage) for name, stage in COHORT]
    for person, _stage in stages:
        cohorts_service.join(person, invite)

    tree = learning.course_tree(course.id)
    for index, (person, stage) in enumerate(stages):
        share = 1.0 if isinstance(stage, str) and stage != BEHIND else stage
        if stage == BEHIND:
            share = 0.06  # a lesson, and nothing since
        _study(person, tree, share)
        # A history: joined in the first week, last active some days ago (three weeks
        # for the one falling behind, past the cohort's fortnight).
        # The one who has not started joined this week.
        idle = 21 if stage == BEHIND else 1 + index % 5
        started = 40 - index % 6 if share else idle
        _move_into_the_past(person, cohort, started=started, last=idle)

    _sessions_with_attendance(cohort, trainer, stages)
    by_stage = {stage: person for person, stage in stages if isinstance(stage, str)}
    for stage in (CERTIFIED, REVOKED, SIGNED_OFF):
        cohorts_service.sign_off(cohort, by_stage[stage].id, trainer)

    certified = certificates_service.issue(by_stage[CERTIFIED], course, actor=staff, cohort=cohort)
    revoked = certificates_service.issue(by_stage[REVOKED], course, actor=staff, cohort=cohort)
    certificates_service.revoke(
        revoked,
        actor=staff,
        category="issued-in-error",
        reason=(
            "It was issued before your last two sessions were recorded; your trainer is "
            "checking your attendance and we will issue it again."
        ),
    )

    # The demo member's own certificate, from a course they finished on their own.
    learning.enrol(member, own_course)
    _study(member, learning.course_tree(own_course.id), 1.0)
    _move_into_the_past(member, None, started=90, last=30, course_id=own_course.id)
    certificates_service.issue(member, own_course, actor=staff, academy=academy)

    # A graduate of Train the trainer (and of its prerequisite), waiting for promotion.
    graduate = _person(GRADUATE)
    for step, done in ((course, 120), (trainer_course, 20)):
        learning.enrol(graduate, step)
        _study(graduate, learning.course_tree(step.id), 1.0)
        _move_into_the_past(graduate, None, started=done + 40, last=done, course_id=step.id)
    certificates_service.issue(graduate, trainer_course, actor=staff, academy=academy)

    # Admin work: a request for a copy of someone's data, logged from a letter.
    privacy.open_request(
        _person(DATA_REQUEST_FOR),
        "export",
        actor=admin,
        channel="staff",
        note="Letter received asking for a copy of everything we hold.",
        received_at=utcnow() - timedelta(days=9),
    )
    # What the access log then shows: a trainer's export and staff looking at a certificate.
    record_access_many(
        trainer, [p.id for p, _ in stages], "cohort.csv-export", f"cohort:{cohort.id}"
    )
    record_access(
        staff, by_stage[CERTIFIED], "staff.certificate-page", f"certificate:{certified.id}"
    )
    db.session.flush()


def _study(person: User, tree: CourseOutline, share: float) -> None:
    """Do `share` of the course as the member would: lessons in order, each module's
    quiz passed once its lessons are done (the whole course: completed)."""
    lessons = [lesson for module in tree.modules for lesson in module.lessons]
    to_do = round(len(lessons) * share)
    done = 0
    for module in tree.modules:
        for lesson in module.lessons:
            if done >= to_do:
                return
            learning.complete_lesson(person, lesson)
            done += 1
        if module.quiz is not None:
            quiz = db.session.get(Quiz, module.quiz.id)
            attempt = learning.start_attempt(person, quiz)
            learning.submit_attempt(person, attempt, _right_answers(attempt))


def _right_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    """What a form sends for every question answered correctly."""
    sent = {}
    for question in attempt.questions:
        if question["kind"] == "short":
            sent[question["key"]] = [question["accepted_answers"][0]]
        else:
            sent[question["key"]] = [
                learning.option_value(question["key"], option["key"])
                for option in question["options"]
                if option.get("correct")
            ]
    return sent


def _move_into_the_past(
    person: User, cohort: Cohort | None, *, started: int, last: int, course_id: int | None = None
) -> None:
    """Spread the person's learning in a course between `started` and `last` days ago
    (the services stamp everything now). Dates only: what was done stays as done."""
    now = utcnow()
    course_id = course_id if course_id is not None else cohort.course_id
    begin, end = now - timedelta(days=started), now - timedelta(days=last)
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == person.id, Enrolment.course_id == course_id)
    )
    completions = db.session.scalars(
        sa.select(LessonCompletion)
        .where(LessonCompletion.user_id == person.id, LessonCompletion.course_id == course_id)
        .order_by(LessonCompletion.completed_at)
    ).all()
    attempts = db.session.scalars(
        sa.select(QuizAttempt)
        .where(QuizAttempt.user_id == person.id, QuizAttempt.course_id == course_id)
        .order_by(QuizAttempt.id)
    ).all()
    steps = len(completions) + len(attempts)
    stamps = [begin + (end - begin) * (i + 1) / max(steps, 1) for i in range(steps)]
    events = sorted([*completions, *attempts], key=_stamp)
    for event, when in zip(events, stamps, strict=True):
        if isinstance(event, LessonCompletion):
            event.completed_at = when
        else:
            event.started_at = when - timedelta(minutes=12)
            event.submitted_at = when
    enrolment.enrolled_at = begin - timedelta(hours=1)
    enrolment.last_activity_at = stamps[-1] if stamps else begin
    if enrolment.completed_at is not None:
        enrolment.completed_at = enrolment.last_activity_at
    if cohort is not None:
        membership = db.session.scalar(
            sa.select(CohortMember).where(
                CohortMember.cohort_id == cohort.id, CohortMember.user_id == person.id
            )
        )
        membership.joined_at = enrolment.enrolled_at


def _stamp(event: LessonCompletion | QuizAttempt) -> datetime:
    return event.completed_at if isinstance(event, LessonCompletion) else event.started_at


def _sessions_with_attendance(
    cohort: Cohort, trainer: User, stages: list[tuple[User, object]]
) -> None:
    """Weekly evening sessions: four held (attendance taken), two to come."""
    titles = (
        "Why listen first",
        "Running a listening campaign",
        "One-to-one conversations",
        "Mapping power",
        "Planning an action",
        "Celebrating and what next",
    )
    first = utcnow().date() - timedelta(days=23)  # four weeks held, two to come
    for week, title in enumerate(titles):
        day = first + timedelta(weeks=week)
        starts = datetime.combine(day, time(18, 30), tzinfo=UK)
        session = cohorts_service.schedule_session(
            cohort,
            trainer,
            cohorts_service.SessionDetails(
                title=title,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue=cohort.venue,
                meeting_url="",
                agenda="Bring a notebook. Tea from 6pm.",
            ),
        )
        if starts >= utcnow():
            continue
        statuses = {}
        for index, (person, stage) in enumerate(stages):
            if stage == BEHIND and week > 0:
                statuses[person.id] = "absent"
            elif (index + week) % 7 == 3:
                statuses[person.id] = "apologies"
            else:
                statuses[person.id] = "present"
        cohorts_service.record_attendance(session, trainer, statuses)
