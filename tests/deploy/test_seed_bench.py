"""`flask academy seed-bench`: realistic data in realistic proportions, consistent, usable."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import User
from academy.models.certificates import Certificate
from academy.models.cohorts import CohortMember
from academy.models.learning import Enrolment, LessonCompletion, QuizAttempt
from academy.services import certificates as certificate_service
from tests.deploy.servers import SharedDatabase

MEMBERS = 1200


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    shared = SharedDatabase(tmp_path_factory.mktemp("seed-db"))
    accounts = tmp_path_factory.mktemp("seed") / "accounts.json"
    result = shared.app.test_cli_runner().invoke(
        args=[
            "academy",
            "seed-bench",
            "--members",
            str(MEMBERS),
            "--bench-users",
            "20",
            "--write-accounts",
            str(accounts),
        ]
    )
    assert result.exit_code == 0, result.output
    yield shared, json.loads(accounts.read_text())
    shared.drop()


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_members_and_their_learning_in_proportion(seeded):
    shared, accounts = seeded
    with shared.app.app_context():
        members = count(User, User.email.like("%@bench.example.org"))
        assert members >= MEMBERS  # plus staff and trainers
        progress = count(LessonCompletion) + count(QuizAttempt)
        # About twenty progress rows per member on the real curriculum (81 lessons);
        # the test curriculum has 8 lessons and 4 quizzes, so fewer here.
        assert 3 * MEMBERS <= progress <= 40 * MEMBERS
        assert count(Enrolment) > MEMBERS
        assert count(Enrolment, Enrolment.completed_at.is_not(None)) > 0
        assert count(Certificate) > 0
        big = accounts["big_cohort_id"]
        assert count(CohortMember, CohortMember.cohort_id == big) == 500
        assert accounts["counts"]["lesson_completions"] == count(LessonCompletion)
        db.session.remove()


def test_every_reference_points_at_a_row(seeded):
    shared, _ = seeded
    with shared.app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        else:
            # The seed wrote with foreign-key triggers off: check each key by hand.
            for table in db.metadata.sorted_tables:
                for fk in table.foreign_keys:
                    column, target = fk.parent, fk.column
                    orphans = db.session.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(
                            column.is_not(None),
                            ~sa.exists().where(target == column),
                        )
                    )
                    assert orphans == 0, f"{table.name}.{column.name}"
        db.session.remove()


def test_completed_enrolments_have_every_lesson_and_a_pass(seeded):
    shared, _ = seeded
    from academy.models import Lesson

    with shared.app.app_context():
        finished = db.session.scalars(
            sa.select(Enrolment).where(Enrolment.completed_at.is_not(None)).limit(20)
        ).all()
        for enrolment in finished:
            lessons = count(
                Lesson, Lesson.course_id == enrolment.course_id, Lesson.retired_at.is_(None)
            )
            done = count(
                LessonCompletion,
                LessonCompletion.user_id == enrolment.user_id,
                LessonCompletion.course_id == enrolment.course_id,
            )
            assert done == lessons
        db.session.remove()


def test_the_bench_accounts_can_study_and_verify(seeded):
    shared, accounts = seeded
    app = shared.app
    bench = accounts["bench_users"][0]
    with app.app_context():
        user = db.session.get(User, bench["id"])
        session_id = user.get_id()
        open_attempts = count(
            QuizAttempt, QuizAttempt.user_id == user.id, QuizAttempt.submitted_at.is_(None)
        )
        assert open_attempts > 0
        code = accounts["verification_codes"][0]
        assert certificate_service.verify(code) is not None
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert client.get("/dashboard").status_code == 200
    assert client.get(f"/verify/{code}").status_code == 200


def test_a_second_seed_into_the_same_database_is_refused(seeded):
    shared, _ = seeded
    result = shared.app.test_cli_runner().invoke(
        args=["academy", "seed-bench", "--members", "1000"]
    )
    assert result.exit_code != 0
    assert "already holds bench data" in result.output
