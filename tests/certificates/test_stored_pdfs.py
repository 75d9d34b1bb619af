"""Certificate PDFs live in the database: any machine serves any certificate, and the
PDFs an older version left on a machine's disk are served and imported, never lost."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from academy import create_app
from academy.extensions import db
from academy.models import CertificateFile, User
from academy.services import accounts
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates.legacy import import_files
from tests.conftest import (
    PASSWORD,
    BrowserLikeClient,
    base_config,
    give_second_factor,
    make_database,
    migrate_and_seed,
)

from .conftest import complete, course, pdf_text


@pytest.fixture
def two_machines(tmp_path_factory):
    """Two app objects on one (committed) database, each with its own instance folder."""
    database = make_database(tmp_path_factory)
    apps = []
    for name in ("web", "worker"):
        tmp = tmp_path_factory.mktemp(name)
        app = create_app(base_config(tmp, database))
        app.test_client_class = BrowserLikeClient
        apps.append(app)
    migrate_and_seed(apps[0])
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    database.drop()


def test_a_certificate_rendered_on_one_machine_downloads_from_the_other(two_machines):
    issuer, server = two_machines
    assert issuer.instance_path != server.instance_path
    with issuer.app_context():
        staff = accounts.create_user("staff@example.org", "Sam Staff", PASSWORD)
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        give_second_factor(staff)
        member = accounts.create_user("holder@example.org", "Hal Holder", PASSWORD)
        complete(member)
        db.session.commit()
        certificate = service.issue(
            member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
        )
        db.session.commit()
        certificate_id, member_session = certificate.id, member.get_id()
        issued = service.pdf_bytes(certificate)

    client = server.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = member_session
        session["_fresh"] = True
    response = client.get(f"/certificates/{certificate_id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == issued
    assert "Hal Holder" in pdf_text(response.data)
    # Neither machine wrote a file: the database holds it.
    for app in two_machines:
        assert not list(Path(app.instance_path).rglob("*.pdf"))


@pytest.fixture
def issued(app, make_user):
    staff = make_user(roles=("staff",), name="Sam Staff")
    member = make_user(name="Lena Legacy")
    complete(member)
    certificate = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    db.session.commit()
    return certificate, member


def _as_if_kept_on_disk(app, certificate) -> bytes:
    """Move the stored PDF to where an older version kept it, as it would be before
    the migration that made certificate_files."""
    pdf = service.pdf_bytes(certificate)
    folder = Path(app.config["ACADEMY_CERTIFICATES_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{certificate.id}.pdf").write_bytes(pdf)
    db.session.execute(sa.delete(CertificateFile))
    db.session.commit()
    return pdf


def test_a_pdf_still_on_disk_is_served_then_imported(app, client, login, issued, runner):
    certificate, member = issued
    pdf = _as_if_kept_on_disk(app, certificate)
    login(client, member)
    assert client.get(f"/certificates/{certificate.id}/pdf").data == pdf

    result = runner.invoke(args=["academy", "certificates", "import-files"])
    assert "Imported 1, already stored 0, not matching 0" in result.output
    stored = db.session.scalars(sa.select(CertificateFile)).one()
    assert (stored.certificate_id, stored.version, stored.size) == (certificate.id, 1, len(pdf))
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest() == certificate.pdf_sha256
    # The disk copy is no longer needed: the database answers on any machine.
    (Path(app.config["ACADEMY_CERTIFICATES_DIR"]) / f"{certificate.id}.pdf").unlink()
    assert client.get(f"/certificates/{certificate.id}/pdf").data == pdf
    again = runner.invoke(args=["academy", "certificates", "import-files"])
    assert "Imported 0" in again.output


def test_a_file_that_is_not_the_issued_pdf_is_neither_served_nor_imported(
    app, client, login, issued
):
    certificate, member = issued
    _as_if_kept_on_disk(app, certificate)
    path = Path(app.config["ACADEMY_CERTIFICATES_DIR"]) / f"{certificate.id}.pdf"
    path.write_bytes(b"%PDF-1.7 tampered with")
    (path.parent / "99999.pdf").write_bytes(b"%PDF-1.7 nobody's")
    login(client, member)
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 404
    counts = import_files(db.session.connection(), path.parent)
    assert counts == {"imported": 0, "present": 0, "skipped": 2}


def test_the_migration_copies_the_pdfs_it_finds_on_disk(two_machines):
    """On a committed database: back to the revision before certificate_files, the PDF
    on disk as an older version left it, then up again: the upgrade imports it."""
    import flask_migrate

    app = two_machines[0]
    with app.app_context():
        staff = accounts.create_user("staff@example.org", "Sam Staff", PASSWORD)
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        member = accounts.create_user("holder@example.org", "Lena Legacy", PASSWORD)
        complete(member)
        db.session.commit()
        certificate = service.issue(
            member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
        )
        db.session.commit()
        pdf = _as_if_kept_on_disk(app, certificate)
        certificate_id = certificate.id
        db.session.remove()
        flask_migrate.downgrade(revision="i22a0training")
        assert "certificate_files" not in sa.inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        stored = db.session.scalars(sa.select(CertificateFile)).one()
        assert (stored.certificate_id, stored.sha256) == (
            certificate_id,
            hashlib.sha256(pdf).hexdigest(),
        )
        assert stored.data == pdf


def test_an_erased_holders_pdf_is_deleted_everywhere(app, issued):
    from academy.services.privacy import erase_account

    certificate, member = issued
    erase_account(db.session.get(User, member.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateFile)) == 0
    assert service.pdf_bytes(certificate) is None
