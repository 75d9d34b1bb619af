"""Looking at a page changes nothing: every GET route, as every kind of person, writes nothing.

The test walks the URL map (as test_access_matrix does) and requests every GET
route as each role with arguments that reach real objects (the privacy tests'
world: a cohort with sessions, invitations, certificates, a batch, a data
request…), counting INSERT, UPDATE and DELETE statements with a SQLAlchemy
event. A link in an e-mail, a prefetching browser or a page of another site can
make someone's browser GET a URL, so a GET that acts would act for them.

Allowed writes, and why:

- `access_log`: staff viewing a member's personal data is recorded (the log
  is the point of the view; it changes nothing anyone sees elsewhere);
- `security_events`: a refused request (403, 429) is recorded, in a
  transaction of its own.

Nothing else is allowed. `test_the_walk_catches_a_get_that_writes` shows the
check failing on a route that does write.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import jsonify

from academy.access import public
from academy.extensions import db
from academy.models import (
    Academy,
    CertificateBatch,
    CohortInvite,
    CohortSession,
    DataRequest,
    Lesson,
    Module,
    Quiz,
)
from academy.services import accounts
from tests.privacy.conftest import world  # noqa: F401 - the fixture, shared

ALLOWED_TABLES = {"access_log", "security_events"}
WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)


class WriteCounter:
    """Every INSERT, UPDATE or DELETE run while it listens, by table."""

    def __init__(self):
        self.writes: list[tuple[str, str]] = []

    def __call__(self, conn, cursor, statement, *args):  # noqa: ARG002
        match = WRITE.match(statement)
        if match:
            self.writes.append((match.group(2).lower(), statement.split("\n")[0][:120]))

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)

    def forbidden(self) -> list[tuple[str, str]]:
        return [(table, sql) for table, sql in self.writes if table not in ALLOWED_TABLES]


def _arguments(world, admin) -> dict[str, object]:  # noqa: F811 - `world` is the fixture's value
    """A real value for every URL argument the app's routes take."""
    course = world.course
    module = db.session.scalar(sa.select(Module).where(Module.course_id == course.id))
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id))
    unconfirmed = accounts.create_user(
        "pending@example.org", "Pat Pending", "x", check_password=False
    )
    unconfirmed.confirmed_at = None
    db.session.commit()
    return {
        "academy_id": db.session.scalar(sa.select(Academy.id).where(Academy.slug == "north-west")),
        "batch_id": db.session.scalar(sa.select(CertificateBatch.id)),
        "certificate_id": world.certificate.id,
        "code": world.certificate_code,
        "cohort_id": world.cohort.id,
        "course_slug": course.slug,
        "filename": "missing.png",
        "invite_id": db.session.scalar(sa.select(CohortInvite.id)),
        "key": "personal-invite-token-other",
        "lesson_slug": lesson.slug,
        "module_slug": module.slug,
        "number": 1,
        "question_id": 1,
        "quiz_id": db.session.scalar(sa.select(Quiz.id).where(Quiz.course_id == course.id)),
        "request_id": db.session.scalar(sa.select(DataRequest.id)),
        "session_id": db.session.scalar(sa.select(CohortSession.id)),
        # Nobody's answers in this world: their pages answer 404, and must write nothing.
        "feedback_id": 1,
        "evaluation_id": 1,
        "slug": "north-west",
        "table": "summary",
        "user_id": world.other.id,
        # Real links, so that their pages run all the way (and must still write nothing).
        ("auth.confirm", "token"): accounts._serializer("confirm").dumps({"u": unconfirmed.id}),
        ("auth.reset", "token"): accounts._serializer("reset").dumps(
            {"u": world.other.id, "h": accounts._hash_fingerprint(world.other)}
        ),
        ("account.confirm_email", "token"): accounts._serializer("change-email").dumps(
            {"u": world.other.id, "e": "new@example.org", "v": world.other.session_version}
        ),
    }


def get_routes(app, arguments: dict):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            value = arguments.get((rule.endpoint, name), arguments.get(name))
            assert value is not None, f"no value for <{name}> of {rule.endpoint}: add one"
            values[name] = value
        yield rule.endpoint, rule.build(values, append_unknown=False)[1]


def _writes_of_every_get(app, login, people: dict, arguments: dict) -> dict:
    """(role, endpoint) -> the forbidden writes its GET made. A page that fails is answered
    with its error page, as in production; what it wrote before failing still counts."""
    found = {}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for role, person in people.items():
        for endpoint, url in get_routes(app, arguments):
            client = app.test_client()
            if person is not None:
                login(client, person)
            with WriteCounter() as counter:
                client.get(url)
            if counter.forbidden():
                found[(role, endpoint)] = counter.forbidden()
    return found


@pytest.fixture
def people(world, make_user):  # noqa: F811
    return {
        "anonymous": None,
        "member": world.other,
        "trainer": world.trainer,
        "staff": world.staff,
        "admin": make_user(roles=("admin",)),
    }


def test_no_get_route_writes_to_the_database(app, login, world, people):  # noqa: F811
    arguments = _arguments(world, people["admin"])
    assert _writes_of_every_get(app, login, people, arguments) == {}


def test_the_walk_catches_a_get_that_writes(app, login, world, people):  # noqa: F811
    @public
    def careless():
        accounts.find_user_by_email(world.other.email).display_name = "Changed by a GET"
        db.session.commit()
        return jsonify(ok=True)

    app.add_url_rule("/careless", "careless", careless)
    arguments = _arguments(world, people["admin"])
    found = _writes_of_every_get(app, login, {"anonymous": None}, arguments)
    assert list(found) == [("anonymous", "careless")]
    ((table, sql),) = found[("anonymous", "careless")]
    assert table == "users"
    assert sql.upper().startswith("UPDATE")


def test_the_counter_ignores_the_allowed_logs():
    counter = WriteCounter()
    counter(None, None, "INSERT INTO access_log (actor_id) VALUES (?)")
    counter(None, None, 'INSERT INTO "security_events" (kind) VALUES (?)')
    counter(None, None, "SELECT 1")
    assert counter.forbidden() == []
    counter(None, None, "UPDATE users SET email=?")
    assert counter.forbidden() == [("users", "UPDATE users SET email=?")]
