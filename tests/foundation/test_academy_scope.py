"""Who may act where, written once: admins in every academy, staff and trainers in the
academies they hold those roles in, nobody else anywhere.

The rule is `User.acts_in` / `academies_for` / `academy_filter` and
`academy.models.within_academies`; these tests pin it on a real database, check that
the model, the services and the pages that rely on it agree with it, and grep the code
for a second copy of it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import academy
from academy.extensions import db
from academy.models import Academy, Cohort, Course, Role, within_academies
from academy.services import accounts, certificates, reports
from academy.services import cohorts as cohort_service
from academy.services.academies import academy_by_slug
from academy.services.certificates.scope import require_academy

HOME, OTHER = "north-west", "london"


@pytest.fixture
def people(make_user) -> dict:
    return {
        "admin": make_user(roles=("admin",), name="Ada Admin"),
        "staff": make_user(roles=("staff",), academy=HOME, name="Sam Staff"),
        "trainer": make_user(roles=("trainer",), academy=HOME, name="Tara Trainer"),
        "member": make_user(name="Mo Member"),
    }


def all_academy_ids() -> set[int]:
    return set(db.session.scalars(sa.select(Academy.id)))


def ids_within(user, *roles: str) -> set[int]:
    """The academies a real query narrowed by the rule returns."""
    query = within_academies(sa.select(Academy.id), Academy.id, user, *roles)
    return set(db.session.scalars(query))


def ids_filtered(user, *roles: str) -> set[int]:
    query = sa.select(Academy.id).where(user.academy_filter(Academy.id, *roles))
    return set(db.session.scalars(query))


def test_admins_act_in_every_academy(people):
    admin = people["admin"]
    everywhere = all_academy_ids()
    assert len(everywhere) > 2
    assert admin.acts_everywhere
    assert admin.academies_for() is None
    assert admin.academies_for(Role.STAFF) is None
    for academy_id in everywhere:
        assert admin.acts_in(academy_id)
        assert admin.acts_in(academy_id, Role.STAFF)
        assert admin.acts_in(academy_id, Role.TRAINER)
    assert ids_within(admin, Role.STAFF) == everywhere
    assert ids_filtered(admin, Role.STAFF) == everywhere
    # Nothing added to the SQL for an admin.
    plain = sa.select(Academy.id)
    assert within_academies(plain, Academy.id, admin) is plain


def test_staff_act_only_in_their_academies_and_only_as_staff(people):
    staff, home, other = people["staff"], academy_by_slug(HOME), academy_by_slug(OTHER)
    assert not staff.acts_everywhere
    assert staff.academies_for(Role.STAFF) == {home.id}
    assert staff.academies_for() == {home.id}
    assert staff.acts_in(home, Role.STAFF)
    assert staff.acts_in(home.id)
    assert not staff.acts_in(other, Role.STAFF)
    assert not staff.acts_in(other)
    # Holding staff there does not make them a trainer there.
    assert not staff.acts_in(home, Role.TRAINER)
    assert staff.academies_for(Role.TRAINER) == set()
    assert ids_within(staff, Role.STAFF) == {home.id}
    assert ids_filtered(staff, Role.STAFF) == {home.id}
    assert ids_within(staff, Role.TRAINER) == set()
    assert [a.slug for a in staff.academies_held(Role.STAFF)] == [HOME]


def test_trainers_act_only_in_their_academies_and_only_as_trainers(people):
    trainer, home, other = people["trainer"], academy_by_slug(HOME), academy_by_slug(OTHER)
    assert trainer.academies_for(Role.TRAINER) == {home.id}
    assert trainer.acts_in(home, Role.TRAINER)
    assert trainer.acts_in(home)
    assert not trainer.acts_in(home, Role.STAFF)
    assert not trainer.acts_in(other, Role.TRAINER)
    assert ids_within(trainer) == {home.id}
    assert ids_within(trainer, Role.STAFF) == set()


def test_a_role_in_two_academies_reaches_both(make_user):
    home, other = academy_by_slug(HOME), academy_by_slug(OTHER)
    both = make_user(roles=("staff",), academy=HOME)
    accounts.grant_role(both, Role.STAFF, academy=other)
    db.session.commit()
    assert both.academies_for(Role.STAFF) == {home.id, other.id}
    assert ids_within(both, Role.STAFF) == {home.id, other.id}
    assert [a.name for a in both.academies_held(Role.STAFF)] == sorted([home.name, other.name])


def test_members_act_nowhere(people):
    member = people["member"]
    assert not member.acts_everywhere
    assert member.academies_for() == set()
    assert not any(member.acts_in(academy_id) for academy_id in all_academy_ids())
    assert ids_within(member) == set()
    assert ids_filtered(member) == set()


def test_losing_the_role_loses_the_academy(people):
    staff, home = people["staff"], academy_by_slug(HOME)
    accounts.revoke_role(staff, Role.STAFF, academy=home)
    db.session.commit()
    assert not staff.acts_in(home)
    assert ids_within(staff, Role.STAFF) == set()


# The model, the services and the pages agree with the rule ---------------------------------


@pytest.fixture
def cohorts(people) -> dict[str, Cohort]:
    """A cohort in each academy, the home one run by the trainer."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
    details = cohort_service.CohortDetails(
        name="Scope cohort",
        mode="in-person",
        venue="Hall",
        meeting_url="",
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=30),
        capacity=10,
        min_attendance_percent=None,
        inactive_after_days=14,
    )
    made = {
        HOME: cohort_service.create_cohort(
            people["trainer"], academy=academy_by_slug(HOME), course=course, details=details
        ),
        OTHER: cohort_service.create_cohort(
            people["admin"], academy=academy_by_slug(OTHER), course=course, details=details
        ),
    }
    db.session.commit()
    return made


def test_every_user_of_the_rule_agrees_with_it(people, cohorts):
    for who, user in people.items():
        allowed_academies = {a.id for a in cohort_service.academies_for_new_cohort(user)}
        managed = {
            c.id for c in db.session.scalars(sa.select(Cohort).where(Cohort.managed_by(user)))
        }
        scopes = {s.slug for s in reports.scopes_for(user)}
        staff_academies = {a.id for a in certificates.academies_of(user)}
        for slug, cohort in cohorts.items():
            place = cohort.academy
            as_staff = user.acts_in(place, Role.STAFF)
            # Staff pages, certificates and reports: staff of the academy and admins.
            assert (place.id in staff_academies) == as_staff, (who, slug)
            assert reports.can_report_on(user, reports.Scope(place)) == as_staff, (who, slug)
            assert (slug in scopes) == as_staff, (who, slug)
            try:
                require_academy(user, place.id)
                allowed = True
            except certificates.NotAllowed:
                allowed = False
            assert allowed == as_staff, (who, slug)
            # Cohorts: also trainers, where they hold the role (and for their own cohorts).
            assert (place.id in allowed_academies) == user.acts_in(place), (who, slug)
            runs = user.id in cohort.trainer_ids and user.acts_in(place, Role.TRAINER)
            assert cohort.can_manage(user) == (as_staff or runs), (who, slug)
            assert (cohort.id in managed) == cohort.can_manage(user), (who, slug)
        # The whole country is an admin's alone.
        assert reports.can_report_on(user, reports.Scope(None)) == user.acts_everywhere, who
    # And the expected people, spelled out.
    home, other = cohorts[HOME], cohorts[OTHER]
    assert [home.can_manage(p) for p in people.values()] == [True, True, True, False]
    assert [other.can_manage(p) for p in people.values()] == [True, False, False, False]


def test_pages_follow_the_rule(client, login, people, cohorts):
    """Over HTTP: a cohort outside one's academies is not there (404), a report on
    another academy or the whole country is refused (403)."""
    home, other = cohorts[HOME], cohorts[OTHER]
    expected = {
        # who: (home cohort, other cohort, home report, other report, national report)
        "admin": (200, 200, 200, 200, 200),
        "staff": (200, 404, 200, 403, 403),
        "trainer": (200, 404, 403, 403, 403),
    }
    for who, statuses in expected.items():
        login(client, people[who])
        got = (
            client.get(f"/cohorts/{home.id}/").status_code,
            client.get(f"/cohorts/{other.id}/").status_code,
            client.get(f"/reports/{HOME}/").status_code,
            client.get(f"/reports/{OTHER}/").status_code,
            client.get("/reports/national/").status_code,
        )
        assert got == statuses, who


# Written once: a guard against a second copy ------------------------------------------------

PACKAGE = Path(academy.__file__).parent
RULE_HOME = Path("models/people.py")

# The rule's two halves, read where they should not be: "is this an admin?" asked to
# decide where someone acts, and the academies someone holds roles in.
ADMIN_CHECK = re.compile(
    r"""has_role\([^)]*(?:Role\.ADMIN|["']admin["'])"""
    r"""|(?:Role\.ADMIN|["']admin["'])\s+(?:not\s+)?in\s+[\w.]*roles\b"""
)
HELD_ROLES = re.compile(r"(?<!User)\.academy_ids\(|(?<!User)\.academy_roles\b")

# Files that read the roles someone holds for what they are, not for where they may act.
HOLDINGS_READERS = {
    # granting and revoking roles keeps the rows themselves
    Path("services/accounts.py"),
    # a member's data export lists the roles they hold
    Path("services/privacy/export.py"),
    # whether a graduate already trains in an academy (an admin is not a trainer)
    Path("services/promotion/eligibility.py"),
    # the creator of a cohort runs it where they hold the trainer role
    Path("services/cohorts/editing.py"),
}


def copies_of_the_rule(relative: Path, source: str) -> list[str]:
    """Lines of `source` that rewrite part of the academy-scope rule."""
    if relative == RULE_HOME:
        return []
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0]
        if ADMIN_CHECK.search(code):
            found.append(f"{relative}:{number}: {line.strip()}")
        elif HELD_ROLES.search(code) and relative not in HOLDINGS_READERS:
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_the_rule_is_written_once():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        found += copies_of_the_rule(relative, path.read_text(encoding="utf-8"))
    assert found == [], "Ask User.acts_in / academies_for / within_academies instead:\n" + (
        "\n".join(found)
    )


@pytest.mark.parametrize(
    "line",
    [
        "    if user.has_role(Role.ADMIN):",
        '    if current_user.has_role("staff", "admin"):',
        '    everywhere = "admin" in user.roles',
        "    mine = user.academy_ids(Role.STAFF)",
        "    ids = {link.academy_id for link in actor.academy_roles if link.role == 'staff'}",
    ],
)
def test_the_guard_finds_a_copy(line):
    assert copies_of_the_rule(Path("services/reports/scope.py"), line) != []


def test_the_guard_leaves_alone_what_is_not_the_rule():
    fine = "\n".join(
        [
            "    .options(lazyload(User.role_grants), lazyload(User.academy_roles))",
            "    if not actor.acts_in(academy, Role.STAFF):",
            '@roles_required("admin")',
            "    if role == Role.ADMIN and user.id == actor.id:",
            "    # user.has_role(Role.ADMIN) used to be asked here",
        ]
    )
    assert copies_of_the_rule(Path("services/reports/scope.py"), fine) == []
