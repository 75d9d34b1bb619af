"""Certificates render in a child process with a time and a memory limit: a template
or a name that makes WeasyPrint slow or greedy ends in a clear, recorded, retryable
failure, and the shipped defaults render the real certificate."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from academy.certificates.isolated import (
    DEFAULT_MEMORY_MB,
    DEFAULT_SECONDS,
    IsolatedRenderer,
    Limits,
    RenderDoesNotFit,
    RenderOutOfMemory,
    RenderTimedOut,
)
from academy.certificates.render import DEFAULT_TEMPLATE_DIR
from academy.extensions import db
from academy.models import AuditEvent
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import certificates as service
from academy.services.academies import academy_by_slug

from .conftest import complete, course, hostile_template, make_cohort, pdf_pages, pdf_text

# Far above a real render (a fifth of a second), far below what the hostile ones take.
TEST_SECONDS = 4


@pytest.fixture
def renderers():
    """Make IsolatedRenderers; their children are stopped at the end of the test."""
    made = []

    def make(template_dir=DEFAULT_TEMPLATE_DIR, **limits) -> IsolatedRenderer:
        renderer = IsolatedRenderer(template_dir, Limits(**limits))
        made.append(renderer)
        return renderer

    yield make
    for renderer in made:
        renderer.close()


def test_the_certificate_is_rendered_in_another_process(renderers, make_content):
    renderer = renderers()
    pdf = renderer.render(make_content())
    assert renderer._child.pid != os.getpid()
    assert len(pdf_pages(pdf)) == 1
    assert "Siân O'Connell-Adebayo" in pdf_text(pdf)
    # The child stays for the next certificate (loading WeasyPrint costs a second).
    child = renderer._child
    assert "Second Person" in pdf_text(renderer.render(make_content(holder_name="Second Person")))
    assert renderer._child is child


def test_a_huge_name_runs_out_of_time_and_the_next_certificate_renders(renderers, make_content):
    renderer = renderers(seconds=TEST_SECONDS)
    with pytest.raises(RenderTimedOut, match=f"longer than {TEST_SECONDS} seconds"):
        renderer.render(make_content(holder_name="W" * 100_000))
    assert renderer._child is None  # killed, not left running
    renderer.limits = Limits(seconds=DEFAULT_SECONDS)  # a busy test machine is slow
    assert "Ann Example" in pdf_text(renderer.render(make_content(holder_name="Ann Example")))


def test_an_exponentially_expanding_svg_is_stopped(renderers, make_content, tmp_path):
    renderer = renderers(hostile_template(tmp_path, "exploding-svg"), seconds=TEST_SECONDS)
    with pytest.raises(RenderTimedOut):
        renderer.render(make_content())


def test_a_greedy_template_hits_the_memory_limit(renderers, make_content, tmp_path):
    renderer = renderers(hostile_template(tmp_path, "greedy"), seconds=60, memory_mb=600)
    with pytest.raises(RenderOutOfMemory, match="more than 600 MB"):
        renderer.render(make_content())


def test_a_gigantic_font_size_still_gives_one_page_or_a_clear_refusal(
    renderers, make_content, tmp_path
):
    """`font-size: 1e9px` on the name: Pango clamps it; what comes out is one page."""
    renderer = renderers(hostile_template(tmp_path, "huge-font"), seconds=TEST_SECONDS)
    try:
        pdf = renderer.render(make_content())
    except (RenderDoesNotFit, RenderTimedOut):
        return
    assert len(pdf_pages(pdf)) == 1


def test_a_template_of_two_pages_does_not_fit(renderers, make_content, tmp_path):
    renderer = renderers(hostile_template(tmp_path, "two-pages"))
    with pytest.raises(RenderDoesNotFit, match="2 pages"):
        renderer.render(make_content())


def test_the_shipped_defaults(app):
    """What production runs with: the shipped template, 20 s and 768 MB per certificate."""
    from academy.services.certificates.pdfs import render_limits

    assert app.config["CERTIFICATE_RENDER_SECONDS"] == DEFAULT_SECONDS == 20
    assert app.config["CERTIFICATE_RENDER_MEMORY_MB"] == DEFAULT_MEMORY_MB == 768
    assert app.config["CERTIFICATE_TEMPLATE_DIR"] == str(DEFAULT_TEMPLATE_DIR)
    assert render_limits() == Limits(seconds=20, memory_mb=768)


def test_the_limits_are_read_from_the_environment(tmp_path, database, monkeypatch):
    from academy import create_app
    from tests.conftest import base_config

    monkeypatch.setenv("CERTIFICATE_RENDER_SECONDS", "7.5")
    monkeypatch.setenv("CERTIFICATE_RENDER_MEMORY_MB", "512")
    app = create_app(base_config(tmp_path, database))
    assert app.config["CERTIFICATE_RENDER_SECONDS"] == 7.5
    assert app.config["CERTIFICATE_RENDER_MEMORY_MB"] == 512


# Through the service and the pages ------------------------------------------------------


def test_a_render_past_its_limit_is_refused_recorded_and_can_be_retried(
    app, client, login, staff, member, tmp_path
):
    complete(member)
    login(client, staff)
    app.config.update(
        CERTIFICATE_TEMPLATE_DIR=str(hostile_template(tmp_path, "slow")),
        CERTIFICATE_RENDER_SECONDS=TEST_SECONDS,
    )
    form = {
        "user_id": member.id,
        "course_id": course("organising-basics").id,
        "academy_id": academy_by_slug("north-west").id,
    }
    response = client.post("/staff/certificates/issue", data=form)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert f"Rendering took longer than {TEST_SECONDS} seconds and was stopped" in page
    assert service.certificates_of(member) == []
    failure = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.render_failed")
    ).one()
    assert failure.actor_id == staff.id
    assert "longer than" in failure.details["reason"]

    # Once the template is mended, the same button issues it.
    app.config.update(
        CERTIFICATE_TEMPLATE_DIR=str(DEFAULT_TEMPLATE_DIR),
        CERTIFICATE_RENDER_SECONDS=DEFAULT_SECONDS,
    )
    response = client.post("/staff/certificates/issue", data=form)
    [certificate] = service.certificates_of(member)
    assert member.display_name in pdf_text(service.pdf_bytes(certificate))
    assert certificate.number != failure.target  # the failed render's number is not reused


def test_a_batch_records_each_failed_render_and_resumes_them(
    app, client, login, staff, make_user, tmp_path
):
    people = [make_user(name=f"Batch Member {i}") for i in range(2)]
    for person in people:
        complete(person)
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    cohort = make_cohort(trainers=[trainer], members=people, signed_off=True)
    app.config.update(
        CERTIFICATE_TEMPLATE_DIR=str(hostile_template(tmp_path, "greedy")),
        CERTIFICATE_RENDER_MEMORY_MB=600,
    )
    login(client, staff)
    response = client.post(f"/staff/cohorts/{cohort.id}/certificates")
    batch = db.session.scalars(sa.select(CertificateBatch)).one()
    assert (batch.status, batch.issued, batch.failed) == (BatchStatus.DONE, 0, 2)
    page = client.get(response.location).get_data(as_text=True)
    assert page.count("Rendering needed more than 600 MB of memory") == 2
    assert service.can_resume(batch)

    app.config["CERTIFICATE_TEMPLATE_DIR"] = str(DEFAULT_TEMPLATE_DIR)
    client.post(f"/staff/batches/{batch.id}/resume")
    db.session.refresh(batch)
    assert (batch.status, batch.issued, batch.failed) == (BatchStatus.DONE, 2, 0)
