"""Background jobs that fail are retried with back-off, then kept where admins see them,
and can be run again or discarded (audited). Real Redis, a real RQ worker."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from academy import jobs
from academy.extensions import db
from academy.models import AuditEvent
from tests.admin import jobs_for_tests
from tests.deploy.servers import RedisDatabase


@pytest.fixture
def queue(app):
    redis_db = RedisDatabase()
    app.config.update(REDIS_URL=redis_db.url, ACADEMY_JOBS_INLINE=False)
    app.extensions.pop("academy_redis", None)
    jobs_for_tests.calls.clear()
    yield jobs.queue(app)
    app.extensions.pop("academy_redis", None)
    redis_db.release()


def work(app, queue) -> None:
    """What `flask academy worker --burst` does, in this process."""
    jobs.worker_app = app
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        jobs.worker_app = None


def test_a_queued_job_is_retried_with_longer_waits_by_default(app, queue):
    assert "JOB_RETRY_INTERVALS" not in app.config  # the shipped default
    job_id = jobs.enqueue("tests.admin.jobs_for_tests.fail_once", "someone@example.org")
    job = Job.fetch(job_id, connection=queue.connection)
    assert job.retries_left == 3
    assert job.retry_intervals == [30, 120, 600]

    work(app, queue)
    # Failed once: waiting to be tried again, not among the failed.
    assert jobs_for_tests.calls == ["fail_once"]
    assert ScheduledJobRegistry(queue=queue).count == 1
    assert FailedJobRegistry(queue=queue).count == 0


def fail_for_good(app, queue, path="tests.admin.jobs_for_tests.refuse") -> str:
    app.config["JOB_RETRY_INTERVALS"] = ()
    job_id = jobs.enqueue(path, "member-address@example.org")
    work(app, queue)
    assert FailedJobRegistry(queue=queue).count == 1
    return job_id


def test_admins_see_a_failed_job_with_why_but_not_what_it_carried(app, queue, as_admin):
    fail_for_good(app, queue)
    home = as_admin.get("/admin/").get_data(as_text=True)
    assert "1 failed" in home

    page = as_admin.get("/admin/jobs").get_data(as_text=True)
    assert "1 failed job" in page
    assert "tests.admin.jobs_for_tests.refuse" in page  # no purpose in words: its path
    assert "550 mailbox unavailable" in page
    assert "Zm9vYmFyLXNlY3JldC10b2tlbi12YWx1ZQ" not in page  # the secret link is redacted
    assert "Run again" in page
    assert "Discard" in page


def test_an_e_mail_job_is_named_in_words(app, queue, as_admin):
    app.config["MAIL_BACKEND"] = "smtp"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)  # closed
    fail_for_good(app, queue, path="academy.mail.deliver")
    assert "Sending an e-mail" in as_admin.get("/admin/jobs").get_data(as_text=True)


def test_running_a_failed_job_again_queues_it_and_is_audited(app, queue, as_admin, admin):
    app.config["JOB_RETRY_INTERVALS"] = ()
    job_id = jobs.enqueue("tests.admin.jobs_for_tests.fail_once", "someone@example.org")
    work(app, queue)
    assert FailedJobRegistry(queue=queue).count == 1

    response = as_admin.post(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert "queued again" in response.get_data(as_text=True)
    assert FailedJobRegistry(queue=queue).count == 0
    work(app, queue)
    assert jobs_for_tests.calls == ["fail_once", "fail_once"]  # and the second time it worked
    assert FailedJobRegistry(queue=queue).count == 0
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="job.retry"))
    assert event.actor_id == admin.id


def test_discarding_a_failed_job_removes_it_and_is_audited(app, queue, as_admin, admin):
    job_id = fail_for_good(app, queue)
    response = as_admin.post(f"/admin/jobs/{job_id}/discard", follow_redirects=True)
    assert "discarded" in response.get_data(as_text=True)
    assert FailedJobRegistry(queue=queue).count == 0
    assert "No job has failed." in as_admin.get("/admin/jobs").get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="job.discard"))


def test_an_unknown_job_gets_a_clear_message_and_changes_nothing(app, queue, as_admin):
    fail_for_good(app, queue)
    response = as_admin.post("/admin/jobs/not-a-job/retry", follow_redirects=True)
    assert "not among the failed ones" in response.get_data(as_text=True)
    assert FailedJobRegistry(queue=queue).count == 1


@pytest.mark.parametrize("role", ["member", "trainer", "staff"])
def test_only_admins_reach_the_jobs(app, queue, client, login, make_user, role):
    job_id = fail_for_good(app, queue)
    login(client, make_user(roles=() if role == "member" else (role,)))
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/jobs/{job_id}/discard").status_code == 403
    assert FailedJobRegistry(queue=queue).count == 1


def test_without_redis_the_page_says_where_failures_go(app, as_admin):
    app.config["REDIS_URL"] = None
    page = as_admin.get("/admin/jobs").get_data(as_text=True)
    assert "no Redis is configured" in page
    assert as_admin.post("/admin/jobs/x/retry").status_code == 404


def test_with_redis_down_the_admin_pages_still_answer(app, as_admin):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("academy_redis", None)
    try:
        assert as_admin.get("/admin/").status_code == 200
        page = as_admin.get("/admin/jobs").get_data(as_text=True)
        assert "cannot be reached" in page
    finally:
        app.extensions.pop("academy_redis", None)
