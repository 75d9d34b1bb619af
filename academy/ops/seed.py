"""`flask academy seed-bench --members N`: a realistic database, quickly, for the benchmark.

Members, enrolments, lesson completions, quiz attempts, cohorts (with trainers,
sessions and attendance), certificates and their audit events, in proportions
taken from how a mass-membership party studies: many members never start a
course, most who do take one or two, a third of enrolments are finished, one
member in five studies in a cohort of about 25. 500,000 members give about ten
million progress rows (lessons completed and quiz attempts).

Speed comes from skipping the ORM: rows are generated as tuples and sent with
executemany (SQLite, one transaction, synchronous=OFF, foreign-key checks off)
or COPY (PostgreSQL); secondary indexes are dropped first and built once at
the end; every account shares one precomputed password hash.

Besides the crowd, a fixed set of *bench accounts* (`bench-0000@bench.example.org`
…) is what the benchmark signs in as: enrolled in every course, half way
through each, with one open attempt at every quiz (so that each quiz
submission in the benchmark is a real one), plus a trainer of a 500-member
cohort and a staff member of its academy. Their data is the same whatever N
is, so that pages can be compared at 1,000 and at 500,000 members.
"""

# Reproducible made-up data, nothing secret: the seeded random generator is the point;
# SQL is built only from table and column names of our own models and integer constants.
# ruff: noqa: S311, S608

from __future__ import annotations

import bisect
import hashlib
import json
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from academy.database import unit_of_work
from academy.extensions import db

BENCH_DOMAIN = "bench.example.org"
BENCH_PASSWORD = "bench-password-not-for-production"  # noqa: S105 - bench data only
BIG_COHORT_SIZE = 500
COHORT_SIZE = 25
CHUNK = 50_000

FIRST = (
    "Aisha Alan Amara Ben Bronwen Callum Chloe Dafydd Deepa Eilidh Emeka Fatima Gareth "
    "Grace Hamza Hannah Ifeoma Imran Jack Jamal Jasmine Kofi Laura Leon Maria Megan Mohammed "
    "Niamh Nadia Oliver Olu Priya Rhys Rosa Ruth Sam Sana Sean Siân Tariq Tom Una Yusuf Zara"
).split()
LAST = (
    "Adebayo Ahmed Ali Begum Brown Campbell Chen Davies Edwards Evans Green Hughes Hussain "
    "Jones Kaur Khan Kowalczyk Lewis MacDonald Morgan Murphy Nowak O'Brien Okafor Patel "
    "Roberts Robinson Singh Smith Taylor Thomas Thompson Walker Williams Wilson Wright"
).split()


@dataclass
class Content:
    """The synced curriculum, as plain data."""

    course_ids: list[int]
    course: dict[int, dict[str, Any]]
    lessons: dict[int, list[int]]  # course -> lesson ids in order
    quizzes: dict[int, list[dict[str, Any]]]  # course -> [{id, pass_mark, snapshot, trimmed}]


@dataclass
class SeedResult:
    members: int
    seconds: float
    counts: Counter = field(default_factory=Counter)
    bench_users: list[dict[str, Any]] = field(default_factory=list)
    trainer: dict[str, Any] = field(default_factory=dict)
    staff: dict[str, Any] = field(default_factory=dict)
    big_cohort_id: int = 0
    verification_codes: list[str] = field(default_factory=list)

    @property
    def progress_rows(self) -> int:
        return self.counts["lesson_completions"] + self.counts["quiz_attempts"]


class SeedError(RuntimeError):
    pass


# Writing rows fast ------------------------------------------------------------------------


class Loader:
    """Bulk inserts of tuples into the tables of `db.metadata`, on a raw DBAPI connection."""

    def __init__(self, raw, dialect):
        self.raw = raw
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"
        self.counts: Counter = Counter()

    def _constants(self, table: sa.Table, given: list[str]) -> dict[str, Any]:
        """Values for the columns not given: their Python default, or left out."""
        constants = {}
        for column in table.columns:
            if column.name in given:
                continue
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                constants[column.name] = default.arg
            elif default is not None and getattr(default, "is_callable", False):
                constants[column.name] = default.arg(None)
            elif column.nullable or column.server_default is not None or column.primary_key:
                continue
            else:
                raise SeedError(f"seed-bench does not fill {table.name}.{column.name}")
        return constants

    def _processors(self, table: sa.Table, names: list[str]):
        """Per column: a function making a value ready for the driver (memoised)."""
        result = []
        for name in names:
            column_type = table.c[name].type
            is_json = isinstance(column_type, sa.JSON)
            if self.postgres:
                # psycopg adapts dates, times, booleans itself; JSON goes as text.
                process = json.dumps if is_json else None
            else:
                process = column_type._cached_bind_processor(self.dialect)
            if process is None:
                result.append(None)
                continue
            memo: dict[Any, Any] = {}

            def cached(value, process=process, memo=memo, is_json=is_json):
                if value is None:
                    return None
                key = id(value) if is_json else value
                try:
                    return memo[key]
                except KeyError:
                    if len(memo) > 100_000:
                        memo.clear()
                    memo[key] = process(value)
                    return memo[key]

            result.append(cached)
        return result

    def insert(self, name: str, columns: list[str], rows: Iterable[tuple]) -> int:
        table = db.metadata.tables[name]
        constants = self._constants(table, columns)
        names = columns + list(constants)
        processors = self._processors(table, names)
        constant_values = tuple(constants.values())
        active = [(i, p) for i, p in enumerate(processors) if p is not None]

        def prepared() -> Iterator[tuple]:
            for row in rows:
                values = list(row + constant_values)
                for index, process in active:
                    values[index] = process(values[index])
                yield tuple(values)

        count = 0
        quoted = ", ".join(f'"{n}"' for n in names)
        if self.postgres:
            with self.raw.cursor() as cursor:
                with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
                    for values in prepared():
                        copy.write_row(values)
                        count += 1
        else:
            placeholders = ", ".join("?" for _ in names)
            sql = f'INSERT INTO "{name}" ({quoted}) VALUES ({placeholders})'  # noqa: S608
            cursor = self.raw.cursor()
            batch: list[tuple] = []
            for values in prepared():
                batch.append(values)
                if len(batch) >= CHUNK:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
            cursor.close()
        self.counts[name] += count
        return count

    def insert_plain(self, name: str, columns: list[str], rows: Iterable[tuple]) -> None:
        """Rows ready as they are (integers and text) into a table of our own."""
        quoted = ", ".join(columns)
        if self.postgres:
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in columns)
            cursor = self.raw.cursor()
            cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES ({placeholders})", rows)
            cursor.close()

    def execute(self, sql: str) -> None:
        cursor = self.raw.cursor()
        cursor.execute(sql)
        self.rowcount = cursor.rowcount
        cursor.close()

    def scalar(self, sql: str) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
        return row[0] if row else None

    def ddl(self, element) -> None:
        self.execute(str(element.compile(dialect=self.dialect)))


# The plan -------------------------------------------------------------------------------


def _content() -> Content:
    from academy.models import Course, Lesson, Module, Quiz
    from academy.services.learning.quizzes import _snapshot

    courses = list(
        db.session.scalars(
            sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.position)
        )
    )
    if not courses:
        raise SeedError("no courses: run `flask academy curriculum sync` first")
    lessons: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(Lesson.course_id, Lesson.id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.retired_at.is_(None))
        .order_by(Lesson.course_id, Module.position, Lesson.position)
    )
    for course_id, lesson_id in rows:
        lessons[course_id].append(lesson_id)
    quizzes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rng = random.Random(1)
    for quiz in db.session.scalars(
        sa.select(Quiz)
        .join(Module, Module.id == Quiz.module_id)
        .where(Quiz.retired_at.is_(None))
        .order_by(Quiz.course_id, Module.position)
    ):
        snapshot = _snapshot(quiz, rng)
        quizzes[quiz.course_id].append(
            {
                "id": quiz.id,
                "pass_mark": quiz.pass_mark,
                "snapshot": snapshot,
                "trimmed": _trimmed(snapshot),
            }
        )
    info = {
        c.id: {
            "slug": c.slug,
            "title": c.title,
            "level": c.level,
            "credit_hours": c.credit_hours,
            "accredited": c.accredited,
        }
        for c in courses
    }
    return Content([c.id for c in courses], info, dict(lessons), dict(quizzes))


def _trimmed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot the crowd's old attempts carry: the quiz, not its questions.

    A full snapshot is about 9 KB (every question's HTML, options and
    feedback): three million of them would make the database some 27 GB and
    the seed an hour (see bench/RESULTS.md). Scores and pass marks, which
    progress pages read, are all there. Attempts the benchmark's pages do
    read in full (the bench accounts', and the 500-member cohort's) carry the
    whole snapshot.
    """
    return {"quiz": snapshot["quiz"], "questions": []}


class Clock:
    """A few thousand moments over the past year, drawn from cheaply."""

    def __init__(self, rng: random.Random, now: datetime):
        self.now = now
        self.moments = sorted(
            now - timedelta(seconds=rng.randrange(1, 365 * 24 * 3600)) for _ in range(4096)
        )
        self.rng = rng
        self.epochs = [int(m.timestamp()) for m in self.moments]
        self.epoch = dict(zip(self.moments, self.epochs, strict=True))
        self.now_epoch = int(now.timestamp())
        self.epoch[now] = self.now_epoch

    def at(self, epoch: int) -> datetime:
        """The pooled moment at or just after `epoch` (now, if none is)."""
        index = bisect.bisect_left(self.epochs, epoch)
        return self.moments[index] if index < len(self.moments) else self.now

    def any(self) -> datetime:
        return self.moments[self.rng.randrange(len(self.moments))]

    def after(self, moment: datetime, days: int = 30) -> datetime:
        """A moment from the pool a little later than `moment` (the same pool keeps the
        values few, so their conversion for the database is done once each)."""
        start = bisect.bisect_right(self.moments, moment)
        if start >= len(self.moments):
            return self.now
        # The pool holds ~11 moments a day: `days` ahead is about 11 * days entries.
        return self.moments[min(len(self.moments) - 1, start + int(self.rng.random() * days * 11))]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _next_id(loader: Loader, table: str) -> int:
    return int(loader.scalar(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')) + 1  # noqa: S608


BIG_TABLES = (
    "users",
    "enrolments",
    "lesson_completions",
    "quiz_attempts",
    "cohorts",
    "cohort_members",
    "cohort_trainers",
    "cohort_sessions",
    "cohort_attendance",
    "certificates",
    "certificate_numbers",
    "audit_events",
    "user_roles",
    "academy_roles",
)


def seed_bench(
    members: int,
    *,
    bench_users: int = 400,
    password: str = BENCH_PASSWORD,
    seed: int = 2026,
    log=print,
) -> SeedResult:
    """Add `members` member accounts (bench accounts included) and their learning."""
    from academy.models import Academy, User
    from academy.passwords import hash_password
    from academy.services.academies import ensure_academies

    started = time.perf_counter()
    if members < BIG_COHORT_SIZE + bench_users:
        raise SeedError(f"--members must be at least {BIG_COHORT_SIZE + bench_users}")
    with unit_of_work():
        ensure_academies()
    if db.session.scalar(sa.select(User.id).where(User.email.like(f"%@{BENCH_DOMAIN}")).limit(1)):
        raise SeedError("this database already holds bench data: seed a fresh one")
    content = _content()
    academies = [
        (a.id, a.slug, a.full_name)
        for a in db.session.scalars(sa.select(Academy).order_by(Academy.id))
    ]
    db.session.remove()
    password_hash = hash_password(password)

    engine = db.engine
    raw_proxy = engine.raw_connection()
    raw = raw_proxy.driver_connection
    loader = Loader(raw, engine.dialect)
    result = SeedResult(members=members, seconds=0)
    try:
        _prepare(loader)
        dropped = _drop_indexes(loader)

        def phase(what: str) -> None:
            log(f"  {time.perf_counter() - started:6.1f}s  {what}")

        _generate(
            loader, result, content, academies, members, bench_users, password_hash, seed, phase
        )
        for index in dropped:
            loader.ddl(sa.schema.CreateIndex(index))
        phase("indexes built")
        _finish(loader)
        phase("statistics gathered")
        raw.commit()
        phase("committed")
    except BaseException:
        raw.rollback()
        raise
    finally:
        _restore_settings(loader)
        raw_proxy.close()
        engine.dispose()
    result.counts = loader.counts
    result.seconds = time.perf_counter() - started
    return result


def _prepare(loader: Loader) -> None:
    if loader.postgres:
        loader.execute("SET synchronous_commit TO OFF")
        loader.execute("SET maintenance_work_mem TO '512MB'")
        try:
            # Foreign keys are not checked row by row (we write them consistent);
            # needs a superuser, so carries on with checks where refused.
            loader.execute("SAVEPOINT replica")
            loader.execute("SET session_replication_role TO replica")
            loader.execute("RELEASE SAVEPOINT replica")
        except Exception:
            loader.execute("ROLLBACK TO SAVEPOINT replica")
    else:
        raw = loader.raw
        if raw.in_transaction:
            raw.commit()
        # No journal while seeding a fresh database: every page is written once,
        # not to the WAL and then again to the file. A seed that fails is thrown away.
        for pragma in (
            "journal_mode=OFF",
            "foreign_keys=OFF",
            "synchronous=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
        ):
            loader.execute(f"PRAGMA {pragma}")
        loader.execute("BEGIN IMMEDIATE")
        # Later commits go through sqlite3's commit(); with isolation_level None
        # it only ends the transaction begun here.


def _restore_settings(loader: Loader) -> None:
    if not loader.postgres:
        try:
            loader.execute("PRAGMA journal_mode=WAL")
            loader.execute("PRAGMA foreign_keys=ON")
            loader.execute("PRAGMA synchronous=NORMAL")
        except Exception:  # noqa: S110 - the connection is discarded next
            pass


def _drop_indexes(loader: Loader) -> list[sa.Index]:
    """Non-unique secondary indexes of the big tables: built once at the end instead."""
    dropped = []
    for name in BIG_TABLES:
        table = db.metadata.tables.get(name)
        if table is None:
            continue
        for index in sorted(table.indexes, key=lambda i: i.name):
            if index.unique:
                continue
            loader.ddl(sa.schema.DropIndex(index))
            dropped.append(index)
    return dropped


def _finish(loader: Loader) -> None:
    if loader.postgres:
        for name in BIG_TABLES:
            table = db.metadata.tables.get(name)
            if table is None or "id" not in table.c or not table.c.id.primary_key:
                continue
            loader.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )
        loader.execute("ANALYZE")
    else:
        loader.execute("ANALYZE")


# Generating the rows ------------------------------------------------------------------------


def _generate(  # noqa: PLR0915 - one long recipe, read top to bottom
    loader, result, content, academies, members, bench_count, password_hash, seed, phase
):
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(rng, now)
    user_id = _next_id(loader, "users")
    enrolment_id = _next_id(loader, "enrolments")
    cohort_id = _next_id(loader, "cohorts")
    session_id = _next_id(loader, "cohort_sessions")
    certificate_id = max(_next_id(loader, "certificates"), _next_id(loader, "certificate_numbers"))
    audit_id = _next_id(loader, "audit_events")
    course_ids = content.course_ids
    home = next((a for a in academies if a[1] == "north-west"), academies[0])
    organising = next(
        (cid for cid in course_ids if content.course[cid]["slug"] == "organising"), course_ids[0]
    )

    # People -----------------------------------------------------------------------------------
    users: list[tuple] = []
    roles: list[tuple] = []
    academy_roles: list[tuple] = []

    # Staff cannot use their pages without two-step sign-in (academy/access.py).
    from academy.services import two_factor

    staff_second_factor = two_factor.seal(two_factor.new_secret())

    def person(email: str, name: str, created: datetime, second_factor: bool = False) -> int:
        nonlocal user_id
        uid = user_id
        user_id += 1
        users.append(
            (
                uid,
                email,
                name,
                password_hash,
                secrets.token_urlsafe(12),
                created,
                created,
                created,
                clock.after(created, 200),
                rng.random() < 0.3,
                staff_second_factor if second_factor else None,
                created if second_factor else None,
            )
        )
        return uid

    staff_ids = {}
    for academy_id, slug, _full in academies:
        uid = person(f"staff-{slug}@{BENCH_DOMAIN}", _name(rng), clock.moments[0], True)
        staff_ids[academy_id] = uid
        roles.append((uid, "staff", clock.moments[0]))
        academy_roles.append((uid, academy_id, "staff", clock.moments[0]))
    result.staff = {"id": staff_ids[home[0]], "email": f"staff-{home[1]}@{BENCH_DOMAIN}"}

    ordinary = members - bench_count
    cohort_members_total = int(ordinary * 0.2)
    cohort_count = max(1, cohort_members_total // COHORT_SIZE)
    trainer_count = max(1, cohort_count // 3)
    trainers_by_academy: dict[int, list[int]] = defaultdict(list)
    for i in range(trainer_count):
        academy_id = academies[i % len(academies)][0]
        uid = person(f"trainer-{i:05d}@{BENCH_DOMAIN}", _name(rng), clock.moments[10])
        trainers_by_academy[academy_id].append(uid)
        roles.append((uid, "trainer", clock.moments[10]))
        academy_roles.append((uid, academy_id, "trainer", clock.moments[10]))
    big_trainer = person(f"trainer-big@{BENCH_DOMAIN}", "Bench Trainer", clock.moments[10])
    roles.append((big_trainer, "trainer", clock.moments[10]))
    academy_roles.append((big_trainer, home[0], "trainer", clock.moments[10]))
    result.trainer = {"id": big_trainer, "email": f"trainer-big@{BENCH_DOMAIN}"}

    bench_ids = []
    for i in range(bench_count):
        email = f"bench-{i:04d}@{BENCH_DOMAIN}"
        bench_ids.append(person(email, f"Bench Member {i}", clock.moments[5]))
        result.bench_users.append({"id": bench_ids[-1], "email": email})

    crowd_start = user_id
    for i in range(ordinary):
        person(f"member-{i:07d}@{BENCH_DOMAIN}", _name(rng), clock.any())
    crowd = range(crowd_start, user_id)

    # The users, sorted by id, are the parent of everything else: write them first.
    loader.insert(
        "users",
        [
            "id",
            "email",
            "display_name",
            "password_hash",
            "session_version",
            "privacy_accepted_at",
            "confirmed_at",
            "created_at",
            "last_login_at",
            "show_name_on_verification",
            "totp_secret",
            "totp_enabled_at",
        ],
        users,
    )
    phase("accounts written")
    created_at = {row[0]: row[5] for row in users}
    names = {row[0]: row[2] for row in users}
    users.clear()
    loader.insert("user_roles", ["user_id", "role", "granted_at"], roles)
    loader.insert("academy_roles", ["user_id", "academy_id", "role", "granted_at"], academy_roles)
    result.counts = loader.counts

    # Cohorts: one of 500 for the benchmark, then groups of about 25 ------------------------------
    cohorts: list[tuple] = []
    cohort_trainers: list[tuple] = []
    sessions: list[tuple] = []
    cohort_of: dict[int, tuple[int, int, int]] = {}  # member -> (cohort, course, academy)
    cohort_sessions: dict[int, list[tuple[int, datetime]]] = {}

    def cohort(course_id: int, academy_id: int, trainer: int, name: str) -> int:
        nonlocal cohort_id, session_id
        cid = cohort_id
        cohort_id += 1
        starts = clock.any()
        start_day = starts.date()
        cohorts.append(
            (
                cid,
                academy_id,
                course_id,
                name,
                rng.choice(("online", "in-person", "blended")),
                "Unity Hall, 1 High Street",
                "",
                start_day,
                start_day + timedelta(weeks=8),
                max(COHORT_SIZE + 5, BIG_COHORT_SIZE if "Bench" in name else 0),
                75,
                trainer,
                starts,
            )
        )
        cohort_trainers.append((cid, trainer, starts))
        cohort_sessions[cid] = []
        for week in range(6):
            at = starts + timedelta(weeks=week)
            sessions.append((session_id, cid, f"Session {week + 1}", at, at + timedelta(hours=2)))
            cohort_sessions[cid].append((session_id, at))
            session_id += 1
        return cid

    big = cohort(organising, home[0], big_trainer, "Bench cohort (500 members)")
    result.big_cohort_id = big
    crowd_list = list(crowd)
    big_cohort_members = set(crowd_list[:BIG_COHORT_SIZE])
    for member in big_cohort_members:
        cohort_of[member] = (big, organising, home[0])
    rest = crowd_list[BIG_COHORT_SIZE:]
    in_cohorts = rng.sample(rest, min(len(rest), max(0, cohort_members_total - BIG_COHORT_SIZE)))
    for start in range(0, len(in_cohorts), COHORT_SIZE):
        group = in_cohorts[start : start + COHORT_SIZE]
        academy_id = academies[(start // COHORT_SIZE) % len(academies)][0]
        course_id = rng.choice(course_ids)
        trainer = rng.choice(trainers_by_academy.get(academy_id) or [big_trainer])
        cid = cohort(course_id, academy_id, trainer, f"Cohort {start // COHORT_SIZE + 1}")
        for member in group:
            cohort_of[member] = (cid, course_id, academy_id)
    loader.insert(
        "cohorts",
        [
            "id",
            "academy_id",
            "course_id",
            "name",
            "mode",
            "venue",
            "meeting_url",
            "starts_on",
            "ends_on",
            "capacity",
            "min_attendance_percent",
            "created_by_id",
            "created_at",
        ],
        cohorts,
    )
    loader.insert("cohort_trainers", ["cohort_id", "user_id", "added_at"], cohort_trainers)
    loader.insert("cohort_sessions", ["id", "cohort_id", "title", "starts_at", "ends_at"], sessions)
    cohort_academy = {row[0]: row[1] for row in cohorts}
    cohort_trainer = {row[0]: row[11] for row in cohorts}
    cohorts.clear()

    # Learning: enrolments, lessons, quiz attempts; then sign-offs and certificates ---------------
    enrolments: list[tuple] = []
    plan: list[tuple] = []  # what each enrolment has done, expanded into rows by the database
    open_attempts: list[tuple] = []
    _create_plan_tables(loader, content)
    cohort_members: list[tuple] = []
    attendance: list[tuple] = []
    certificates: list[tuple] = []
    numbers: list[tuple] = []
    audits: list[tuple] = []
    year = now.year

    def flush(final: bool = False) -> None:
        limit = 0 if final else CHUNK
        if len(enrolments) > limit:
            loader.insert(
                "enrolments",
                [
                    "id",
                    "user_id",
                    "course_id",
                    "enrolled_at",
                    "completed_at",
                    "last_activity_at",
                ],
                enrolments,
            )
            enrolments.clear()
        if len(plan) > limit:
            loader.insert_plain(
                "seed_plan",
                [
                    "user_id",
                    "course_id",
                    "lessons_done",
                    "quizzes_done",
                    "began",
                    "step",
                    "full_text",
                ],
                plan,
            )
            plan.clear()
        if len(open_attempts) > limit:
            loader.insert(
                "quiz_attempts",
                [
                    "user_id",
                    "quiz_id",
                    "course_id",
                    "number",
                    "started_at",
                    "snapshot",
                ],
                open_attempts,
            )
            open_attempts.clear()
        if len(cohort_members) > limit or final:
            loader.insert(
                "cohort_members",
                [
                    "cohort_id",
                    "user_id",
                    "joined_at",
                    "joined_via",
                    "signed_off_at",
                    "signed_off_by_id",
                ],
                cohort_members,
            )
            cohort_members.clear()
            loader.insert(
                "cohort_attendance",
                ["session_id", "user_id", "status", "recorded_at", "recorded_by_id"],
                attendance,
            )
            attendance.clear()
        if len(certificates) > limit:
            loader.insert("certificate_numbers", ["id", "drawn_at"], numbers)
            numbers.clear()
            loader.insert(
                "certificates",
                [
                    "id",
                    "number",
                    "code_hash",
                    "user_id",
                    "course_id",
                    "academy_id",
                    "cohort_id",
                    "holder_name",
                    "course_title",
                    "level",
                    "credit_hours",
                    "academy_name",
                    "issuer_name",
                    "issued_at",
                    "issued_by_id",
                    "expires_on",
                    "status",
                    "revoked_at",
                    "revoked_reason",
                ],
                certificates,
            )
            certificates.clear()
            loader.insert(
                "audit_events",
                [
                    "id",
                    "at",
                    "actor_id",
                    "action",
                    "subject_user_id",
                    "academy_id",
                    "target",
                    "details",
                ],
                audits,
            )
            audits.clear()

    academy_name = {a[0]: a[2] for a in academies}
    staff_name = {aid: names[uid] for aid, uid in staff_ids.items()}

    def study(member: int, course_id: int, share: float | None, *, bench: bool = False):
        """One enrolment with `share` of its lessons done (None: drawn; 1.0: finished).

        Only the plan is made here (how many lessons and quizzes, from when, at
        what pace); the database expands it into lesson and attempt rows.
        """
        nonlocal enrolment_id
        n_lessons = len(content.lessons.get(course_id, ()))
        quizzes = content.quizzes.get(course_id, [])
        enrolled = clock.after(created_at[member], 60)
        if share is None:
            share = 1.0 if rng.random() < 0.33 else rng.random() * 0.95
        done = n_lessons if share >= 1.0 else int(n_lessons * share)
        # A module's quiz follows its lessons; bench accounts have tried none yet.
        quizzes_done = len(quizzes) if done == n_lessons else int(len(quizzes) * share)
        if bench:
            quizzes_done = 0
        began = clock.epoch[enrolled]
        step = 600 + int(rng.random() * 2 * 86400)  # seconds between two lessons
        last = enrolled
        if done or quizzes_done:
            full_text = 1 if member in big_cohort_members else 0
            plan.append((member, course_id, done, quizzes_done, began, step, full_text))
            last = clock.at(began + max(done, 3 * quizzes_done + 1) * step)
        if bench:
            # One attempt at every quiz is open (started, not submitted): each quiz
            # submission the benchmark makes is a real one.
            for quiz in quizzes:
                open_attempts.append((member, quiz["id"], course_id, 1, last, quiz["snapshot"]))
        finished = done == n_lessons and quizzes_done == len(quizzes)
        completed_at = last if finished else None
        enrolments.append((enrolment_id, member, course_id, enrolled, completed_at, last))
        enrolment_id += 1
        return completed_at

    for member in bench_ids:
        for course_id in course_ids:
            study(member, course_id, 0.5, bench=True)
        flush()

    course_weights = (0.22, 0.35, 0.22, 0.12, 0.05, 0.04)  # 0 … 5 courses
    for member in crowd_list:
        in_cohort = cohort_of.get(member)
        count = rng.choices(range(len(course_weights)), course_weights)[0]
        chosen = rng.sample(course_ids, min(count, len(course_ids)))
        if in_cohort and in_cohort[1] not in chosen:
            chosen.append(in_cohort[1])
        for course_id in chosen:
            completed_at = study(member, course_id, None)
            signed_off = None
            cohort_here = in_cohort if in_cohort and in_cohort[1] == course_id else None
            if cohort_here:
                cid = cohort_here[0]
                trainer = cohort_trainer[cid]
                if completed_at and rng.random() < 0.8:
                    signed_off = clock.after(completed_at, 14)
                cohort_members.append(
                    (
                        cid,
                        member,
                        clock.after(created_at[member], 30),
                        "code",
                        signed_off,
                        trainer if signed_off else None,
                    )
                )
                for sid, at in cohort_sessions[cid]:
                    if at < now:
                        draw = rng.random()
                        status = (
                            "present" if draw < 0.8 else "absent" if draw < 0.9 else "apologies"
                        )
                        attendance.append((sid, member, status, at, trainer))
            eligible = (
                completed_at is not None
                and content.course[course_id]["accredited"]
                and (cohort_here is None or signed_off is not None)
            )
            if eligible and rng.random() < 0.9:
                academy_id = cohort_academy[cohort_here[0]] if cohort_here else home[0]
                issued = clock.after(signed_off or completed_at, 10)
                code = secrets.token_urlsafe(24)
                revoked = rng.random() < 0.02
                if len(result.verification_codes) < 2000 and not revoked:
                    result.verification_codes.append(code)
                course = content.course[course_id]
                number = f"OA-{year}-{certificate_id:06d}"
                numbers.append((certificate_id, issued))
                certificates.append(
                    (
                        certificate_id,
                        number,
                        hashlib.sha256(code.encode()).hexdigest(),
                        member,
                        course_id,
                        academy_id,
                        cohort_here[0] if cohort_here else None,
                        names[member],
                        course["title"],
                        course["level"],
                        course["credit_hours"],
                        academy_name[academy_id],
                        staff_name[academy_id],
                        issued,
                        staff_ids[academy_id],
                        date(issued.year + 3, issued.month, min(issued.day, 28)),
                        "revoked" if revoked else "valid",
                        clock.after(issued, 30) if revoked else None,
                        "Issued in error" if revoked else None,
                    )
                )
                audits.append(
                    (
                        audit_id,
                        issued,
                        staff_ids[academy_id],
                        "certificate.issue",
                        member,
                        academy_id,
                        number,
                        {"course": course["slug"]},
                    )
                )
                audit_id += 1
                certificate_id += 1
        if len(plan) > CHUNK:
            flush()
    flush(final=True)
    phase("members, enrolments, cohorts and certificates written")
    _expand_plan(loader, clock.now_epoch)
    phase("lesson completions and quiz attempts expanded")


def _create_plan_tables(loader: Loader, content: Content) -> None:
    """Temporary tables: the curriculum in order, and each enrolment's plan."""
    json_type = "json" if loader.postgres else "TEXT"
    loader.execute(
        "CREATE TEMP TABLE seed_plan (user_id INTEGER, course_id INTEGER, "
        "lessons_done INTEGER, quizzes_done INTEGER, began BIGINT, step INTEGER, "
        "full_text INTEGER)"
    )
    loader.execute(
        "CREATE TEMP TABLE seed_lessons (course_id INTEGER, lesson_id INTEGER, ord INTEGER)"
    )
    loader.execute(
        "CREATE TEMP TABLE seed_quizzes (course_id INTEGER, quiz_id INTEGER, ord INTEGER, "
        f"pass_mark INTEGER, snapshot {json_type}, full_snapshot {json_type})"
    )
    loader.insert_plain(
        "seed_lessons",
        ["course_id", "lesson_id", "ord"],
        [
            (course_id, lesson_id, ord_)
            for course_id, lessons in content.lessons.items()
            for ord_, lesson_id in enumerate(lessons)
        ],
    )
    loader.insert_plain(
        "seed_quizzes",
        ["course_id", "quiz_id", "ord", "pass_mark", "snapshot", "full_snapshot"],
        [
            (
                course_id,
                quiz["id"],
                ord_,
                quiz["pass_mark"],
                json.dumps(quiz["trimmed"]),
                json.dumps(quiz["snapshot"]),
            )
            for course_id, quizzes in content.quizzes.items()
            for ord_, quiz in enumerate(quizzes)
        ],
    )


def _expand_plan(loader: Loader, now_epoch: int) -> None:
    """Lesson completions and submitted quiz attempts from the plans, inside the database.

    Ten million rows made by one INSERT … SELECT each, in the database's own
    code, instead of crossing from Python one by one. Scores and retries come
    from the ids (a quarter of first attempts fail and are passed at the second).
    """
    if loader.postgres:

        def at(seconds: str) -> str:
            return f"to_timestamp(LEAST({seconds}, {now_epoch}))"

        empty = "'{}'::json"
    else:

        def at(seconds: str) -> str:
            return (
                f"strftime('%Y-%m-%d %H:%M:%S', MIN({seconds}, {now_epoch}), 'unixepoch')"
                " || '.000000'"
            )

        empty = "'{}'"
    loader.execute(
        "INSERT INTO lesson_completions (user_id, lesson_id, course_id, completed_at) "
        f"SELECT p.user_id, l.lesson_id, p.course_id, {at('p.began + (l.ord + 1) * p.step')} "
        "FROM seed_plan p JOIN seed_lessons l "
        "ON l.course_id = p.course_id AND l.ord < p.lessons_done "
        "ORDER BY p.user_id, l.lesson_id"
    )
    loader.counts["lesson_completions"] += loader.rowcount
    retried = "(p.user_id + q.quiz_id) % 4 = 0"
    passing = "q.pass_mark + (p.user_id * 13 + q.quiz_id) % (101 - q.pass_mark)"
    failing = "20 + (p.user_id * 7 + q.quiz_id) % 40"
    columns = (
        "user_id, quiz_id, course_id, number, started_at, submitted_at, snapshot, "
        "answers, results, score, passed"
    )
    for number, where, score, passed, offset in (
        (
            1,
            "1 = 1",
            f"CASE WHEN {retried} THEN {failing} ELSE {passing} END",
            f"CASE WHEN {retried} THEN FALSE ELSE TRUE END",
            300,
        ),
        (2, retried, passing, "TRUE", 900),
    ):
        moment = at(f"p.began + (q.ord + 1) * 3 * p.step + {offset}")
        loader.execute(
            f"INSERT INTO quiz_attempts ({columns}) "  # noqa: S608 - our own fragments
            f"SELECT p.user_id, q.quiz_id, p.course_id, {number}, {moment}, {moment}, "
            "CASE WHEN p.full_text = 1 THEN q.full_snapshot ELSE q.snapshot END, "
            f"{empty}, {empty}, {score}, {passed} "
            "FROM seed_plan p JOIN seed_quizzes q "
            f"ON q.course_id = p.course_id AND q.ord < p.quizzes_done WHERE {where}"
        )
        loader.counts["quiz_attempts"] += loader.rowcount
    for table in ("seed_plan", "seed_lessons", "seed_quizzes"):
        loader.execute(f"DROP TABLE {table}")
