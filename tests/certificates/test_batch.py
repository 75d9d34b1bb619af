"""Issuing a whole cohort's certificates as a background job, with progress, and
resuming an interrupted batch without issuing anyone twice."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models.certificates import BatchStatus, Certificate, CertificateBatch
from academy.services import certificates as service
from academy.timeutil import utcnow

from .conftest import complete, make_cohort, pdf_text


@pytest.fixture
def cohort(make_user):
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    people = [make_user(name=f"Cohort Member {i}") for i in range(4)]
    for person in people:
        complete(person)
    waiting = make_user(name="Not Signed Off")
    complete(waiting)
    cohort = make_cohort(trainers=[trainer], members=people)
    from academy.models import CohortMember

    db.session.add(CohortMember(cohort_id=cohort.id, user_id=waiting.id))
    db.session.commit()
    cohort.people = people
    return cohort


def valid_certificates(cohort) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.cohort_id == cohort.id, Certificate.status == "valid")
            .order_by(Certificate.id)
        )
    )


def test_issue_a_whole_cohort_at_once_with_a_progress_page(client, login, staff, cohort, outbox):
    login(client, staff)

    response = client.post(f"/staff/cohorts/{cohort.id}/certificates")

    batch = db.session.scalar(sa.select(CertificateBatch))
    assert response.location.endswith(f"/staff/batches/{batch.id}")
    assert batch.status == BatchStatus.DONE
    assert (batch.total, batch.issued, batch.skipped, batch.failed) == (4, 4, 0, 0)
    certificates = valid_certificates(cohort)
    assert sorted(c.holder_name for c in certificates) == [f"Cohort Member {i}" for i in range(4)]
    assert all(c.batch_id == batch.id for c in certificates)
    for certificate in certificates:
        text = pdf_text(service.pdf_path(certificate).read_bytes())
        assert certificate.holder_name in text
        assert certificate.number in text
    assert len([m for m in outbox if "Your certificate for" in m.subject]) == 4

    page = client.get(response.location).get_data(as_text=True)
    assert "4 of 4 done" in page
    assert "4 issued" in page
    assert client.get(f"/staff/batches/{batch.id}.json").get_json() == {
        "status": "done",
        "total": 4,
        "issued": 4,
        "skipped": 0,
        "failed": 0,
        "percent": 100,
        "finished": True,
        "state": "Finished",
    }
    # The member not yet signed off was not in the batch, and is still not certified.
    assert "Not Signed Off" not in page


def test_an_interrupted_batch_resumes_without_duplicates(client, login, staff, cohort):
    login(client, staff)
    # Started, then the worker died after the first two members: as a crash leaves it.
    batch = service.start_batch(cohort, actor=staff)
    db.session.commit()
    first_two = batch.user_ids[:2]
    batch.user_ids = first_two
    db.session.commit()
    service.run_batch(batch.id)
    db.session.refresh(batch)
    batch.user_ids = [p.id for p in cohort.people]
    batch.status = BatchStatus.RUNNING
    batch.finished_at = None
    batch.heartbeat_at = utcnow() - dt.timedelta(minutes=10)
    db.session.commit()
    assert len(valid_certificates(cohort)) == 2

    page = client.get(f"/staff/batches/{batch.id}").get_data(as_text=True)
    assert "Carry on issuing" in page
    client.post(f"/staff/batches/{batch.id}/resume")

    db.session.refresh(batch)
    assert batch.status == BatchStatus.DONE
    assert (batch.issued, batch.skipped, batch.failed) == (4, 0, 0)
    certificates = valid_certificates(cohort)
    assert len(certificates) == 4
    assert len({c.user_id for c in certificates}) == 4

    # Running it yet again (a second worker, a double click) changes nothing.
    service.run_batch(batch.id)
    batch.status = BatchStatus.RUNNING
    db.session.commit()
    service.run_batch(batch.id)
    assert len(valid_certificates(cohort)) == 4


def test_a_member_certified_meanwhile_is_skipped_not_duplicated(staff, cohort):
    batch = service.start_batch(cohort, actor=staff)
    db.session.commit()
    someone = cohort.people[0]
    service.issue(someone, cohort.course, actor=staff, cohort=cohort)
    db.session.commit()

    service.run_batch(batch.id)

    db.session.refresh(batch)
    assert (batch.issued, batch.skipped) == (3, 1)
    assert batch.outcomes[str(someone.id)]["outcome"] == "skipped"
    assert len(valid_certificates(cohort)) == 4


def test_a_running_batch_cannot_be_resumed(client, login, staff, cohort):
    login(client, staff)
    batch = service.start_batch(cohort, actor=staff)
    batch.status = BatchStatus.RUNNING
    batch.heartbeat_at = utcnow()
    db.session.commit()

    client.post(f"/staff/batches/{batch.id}/resume")

    db.session.refresh(batch)
    assert batch.status == BatchStatus.RUNNING
    assert valid_certificates(cohort) == []


def test_nothing_to_issue_is_said_and_no_batch_made(client, login, staff, make_user):
    login(client, staff)
    empty = make_cohort(trainers=[make_user(roles=("trainer",))], members=[], name="Empty")

    response = client.post(f"/staff/cohorts/{empty.id}/certificates")

    assert "No one in Empty is waiting" in client.get(response.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CertificateBatch.id))) == 0


def test_another_academys_staff_cannot_start_or_see_a_batch(
    client, login, staff, cohort, make_user
):
    batch = service.start_batch(cohort, actor=staff)
    db.session.commit()
    login(client, make_user(roles=("staff",), academy="london"))

    assert client.post(f"/staff/cohorts/{cohort.id}/certificates").status_code == 404
    assert client.get(f"/staff/batches/{batch.id}").status_code == 404
    assert client.get(f"/staff/batches/{batch.id}.json").status_code == 404
    assert client.post(f"/staff/batches/{batch.id}/resume").status_code == 404


def test_the_cli_resumes_stalled_batches_only(runner, staff, cohort):
    stalled = service.start_batch(cohort, actor=staff)
    stalled.status = BatchStatus.RUNNING
    stalled.heartbeat_at = utcnow() - dt.timedelta(minutes=30)
    db.session.commit()

    result = runner.invoke(args=["academy", "certificates", "resume-batches"])

    assert result.exit_code == 0, result.output
    assert "Resumed 1 batch." in result.output
    db.session.refresh(stalled)
    assert stalled.status == BatchStatus.DONE
    assert len(valid_certificates(cohort)) == 4
    again = runner.invoke(args=["academy", "certificates", "resume-batches"])
    assert "Resumed 0 batches." in again.output


def test_a_batch_renders_every_certificate_with_one_renderer(staff, cohort, monkeypatch):
    """Fonts, stylesheet and template are loaded once per process, not per certificate."""
    from academy.certificates import render

    made = []
    real_init = render.CertificateRenderer.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(render.CertificateRenderer, "__init__", counting_init)
    render._renderer_for.cache_clear()
    rendered = []
    real_render = render.CertificateRenderer.render
    monkeypatch.setattr(
        render.CertificateRenderer,
        "render",
        lambda self, content: rendered.append(self) or real_render(self, content),
    )
    try:
        batch = service.start_batch(cohort, actor=staff)
        db.session.commit()
        service.run_batch(batch.id)
    finally:
        render._renderer_for.cache_clear()

    assert len(rendered) == 4
    assert len(made) == 1
    assert all(renderer is made[0] for renderer in rendered)


def test_with_redis_the_batch_is_an_rq_job_a_worker_runs(
    app, client, login, staff, cohort, monkeypatch
):
    """REDIS_URL set: issuing a cohort queues an RQ job; a worker issues the certificates."""
    from rq import Queue, SimpleWorker

    from academy import jobs
    from tests.deploy.servers import RedisDatabase

    redis_db = RedisDatabase()
    try:
        app.config.update(ACADEMY_JOBS_INLINE=False, REDIS_URL=redis_db.url)
        login(client, staff)

        response = client.post(f"/staff/cohorts/{cohort.id}/certificates")

        batch = db.session.scalar(sa.select(CertificateBatch))
        assert response.location.endswith(f"/staff/batches/{batch.id}")
        assert batch.status == BatchStatus.QUEUED  # queued, not run in the request
        assert valid_certificates(cohort) == []
        assert "Waiting to start" in client.get(response.location).get_data(as_text=True)
        queue = Queue("academy", connection=app.extensions["academy_redis"])
        assert queue.count == 1  # the batch; its e-mails are queued only once it runs

        # The worker runs jobs in this process, with this app (and so this database).
        monkeypatch.setattr(jobs, "worker_app", app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)

        db.session.expire_all()
        assert len(valid_certificates(cohort)) == 4
        db.session.refresh(batch)
        assert batch.status == BatchStatus.DONE
    finally:
        app.extensions.pop("academy_redis", None)
        redis_db.release()
