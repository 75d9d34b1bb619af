"""Time a session pack: the first request renders it (WeasyPrint), later ones are
served from the database cache.

    .venv/bin/python bench/packs.py [--pg postgresql+psycopg://…] [-n 5]

A fresh SQLite database (or the PostgreSQL one given) is migrated and loaded with
the shipped curriculum; a trainer runs a cohort of each course, and asks through the
Flask test client (the whole request: access check, query, render or cache, send)
for each module's session pack twice: the first in a process that has rendered
nothing yet for that module, then `-n` more from the cache. The target (issue 20):
first request under 2 s, cached ones served without rendering.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from academy import create_app  # noqa: E402
from academy.content.sync import sync_path  # noqa: E402
from academy.extensions import db  # noqa: E402
from academy.models import Cohort, CohortTrainer, Course  # noqa: E402
from academy.models.guides import Guide, PrintPack  # noqa: E402
from academy.packs import render as pack_render  # noqa: E402
from academy.services import accounts  # noqa: E402
from academy.services.academies import academy_by_slug, ensure_academies  # noqa: E402
from academy.timeutil import utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="a PostgreSQL URL to use instead of a fresh SQLite file")
    parser.add_argument("-n", type=int, default=5, help="cached requests per pack")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-packs-"))
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(tmp),
            "SQLALCHEMY_DATABASE_URI": args.pg or f"sqlite:///{tmp / 'packs.db'}",
            "RATELIMIT_ENABLED": False,
            "ACADEMY_BASE_URL": "http://academy.test",
        }
    )
    renders = 0
    real_render = pack_render.PackRenderer.render

    def counting(self, pack):
        nonlocal renders
        renders += 1
        return real_render(self, pack)

    pack_render.PackRenderer.render = counting  # type: ignore[method-assign]
    with app.app_context():
        flask_migrate.upgrade()
        ensure_academies()
        sync_path(ROOT / "curriculum", db.session)
        trainer = accounts.create_user(
            "bench.trainer@example.org",
            "Bench Trainer",
            "a long bench password",
            check_password=False,
        )
        north_west = academy_by_slug("north-west")
        accounts.grant_role(trainer, "trainer", academy=north_west)
        today = utcnow().date()
        for course in db.session.scalars(sa.select(Course)):
            cohort = Cohort(
                academy_id=north_west.id,
                course_id=course.id,
                name=course.slug,
                mode="online",
                starts_on=today,
                ends_on=today,
                capacity=10,
            )
            db.session.add(cohort)
            db.session.flush()
            db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        db.session.commit()
        urls = [
            f"/courses/{course_slug}/guides/{module_slug}/session-pack.pdf"
            for course_slug, module_slug in db.session.execute(
                sa.text(
                    "SELECT c.slug, m.slug FROM module_guides g JOIN course_modules m "
                    "ON m.id = g.module_id JOIN courses c ON c.id = m.course_id "
                    "ORDER BY c.position, m.position"
                )
            )
        ]
        trainer_id = trainer.get_id()
        guides = db.session.scalar(sa.select(sa.func.count(Guide.id)))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = trainer_id
        session["_fresh"] = True
    first: list[float] = []
    first_cpu: list[float] = []
    cached: list[float] = []
    for url in urls:
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        first.append(time.perf_counter() - start)
        first_cpu.append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.status_code)
        before = renders
        for _ in range(args.n):
            start = time.perf_counter()
            assert client.get(url).data == response.data
            cached.append(time.perf_counter() - start)
        assert renders == before, "a cached pack was rendered again"
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count(PrintPack.id)))
        sizes = list(db.session.scalars(sa.select(PrintPack.size)))
    print(f"database: {'PostgreSQL' if args.pg else 'SQLite'}; {guides} guides, {len(urls)} packs")
    print(
        f"first request (render + store): median {statistics.median(first) * 1000:.0f} ms, "
        f"max {max(first) * 1000:.0f} ms (the very first, with fonts and CSS loaded: "
        f"{first[0] * 1000:.0f} ms)"
    )
    print(
        f"first request, CPU time of this process (what the wall time is on an idle core): "
        f"median {statistics.median(first_cpu) * 1000:.0f} ms, max {max(first_cpu) * 1000:.0f} ms"
    )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average now: {load} on {os.cpu_count()} cores")
    print(
        f"cached request: median {statistics.median(cached) * 1000:.1f} ms, "
        f"max {max(cached) * 1000:.1f} ms over {len(cached)} requests"
    )
    print(
        f"renders: {renders} (one per pack); packs stored: {stored}; "
        f"PDF size median {statistics.median(sizes) / 1024:.0f} KiB"
    )
    print(
        "target, first < 2000 ms: wall",
        "met" if max(first) < 2 else "NOT met",
        "; CPU",
        "met" if max(first_cpu) < 2 else "NOT met",
    )


if __name__ == "__main__":
    main()
