"""`flask academy backup` and `restore`: a restored backup has every row it was taken with.

On SQLite (online backup API) or, where TEST_DATABASE_URL is set, PostgreSQL
(pg_dump/pg_restore of the test's own schema)."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import User
from academy.services import accounts
from tests.deploy.servers import SharedDatabase


@pytest.fixture
def shared(tmp_path_factory):
    database = SharedDatabase(tmp_path_factory.mktemp("backup-db"))
    yield database
    database.drop()


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = db.session.execute(sa.select(table).order_by(*order)).all()
            tables[table.name] = [tuple(row) for row in rows]
        db.session.remove()
        return tables


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["academy", *args])


def test_a_restored_backup_has_everything_it_was_taken_with(shared, tmp_path):
    app = shared.app
    shared.make_member("kept@example.org", name="Kept Member")
    shared.make_member("trainer@example.org", name="Kept Trainer", roles=("trainer",))
    before = snapshot(app)
    assert len(before["users"]) == 2
    assert before["courses"]  # the curriculum is in it too
    assert before["lessons"]

    result = run(app, "backup", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    (backup_file,) = (tmp_path / "backups").iterdir()
    assert backup_file.stat().st_size > 0
    assert not list((tmp_path / "backups").glob("*.partial"))

    # Life goes on: someone leaves, someone joins, someone renames themselves.
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(User).filter_by(email="kept@example.org")))
        accounts.create_user("later@example.org", "Later Member", "x", check_password=False)
        trainer = db.session.scalar(sa.select(User).filter_by(email="trainer@example.org"))
        trainer.display_name = "Renamed"
        db.session.commit()
        db.session.remove()
    assert snapshot(app) != before

    result = run(app, "restore", str(backup_file), "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before

    # The restored database takes new writes (PostgreSQL's sequences came back too).
    with app.app_context():
        user = accounts.create_user("after@example.org", "After", "x", check_password=False)
        db.session.commit()
        assert user.id > max(row[0] for row in before["users"])
        db.session.remove()


def test_a_backup_taken_during_a_write_holds_only_committed_rows(shared, tmp_path):
    app = shared.app
    shared.make_member("committed@example.org")
    with app.app_context():
        # A transaction in progress on another connection while the backup runs.
        with db.engine.connect() as other:
            pending = other.begin()
            other.execute(
                sa.update(User.__table__)
                .where(User.email == "committed@example.org")
                .values(display_name="Not yet committed")
            )
            result = run(app, "backup", str(tmp_path / "during.backup"))
            pending.rollback()
    assert result.exit_code == 0, result.output

    shared.make_member("extra@example.org")
    assert run(app, "restore", str(tmp_path / "during.backup"), "--yes").exit_code == 0
    users = snapshot(app)["users"]
    assert len(users) == 1
    assert "Not yet committed" not in str(users)


def test_restoring_something_that_is_not_a_backup_changes_nothing(shared, tmp_path):
    app = shared.app
    shared.make_member("safe@example.org")
    before = snapshot(app)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a backup\n" * 100)

    result = run(app, "restore", str(bogus), "--yes")
    assert result.exit_code != 0
    assert "backup" in result.output.lower() or "restore" in result.output.lower()
    assert snapshot(app) == before


def test_restore_asks_before_replacing_everything(shared, tmp_path):
    app = shared.app
    assert run(app, "backup", str(tmp_path / "one.backup")).exit_code == 0
    shared.make_member("new@example.org")
    before = snapshot(app)
    result = app.test_cli_runner().invoke(
        args=["academy", "restore", str(tmp_path / "one.backup")], input="n\n"
    )
    assert result.exit_code != 0
    assert snapshot(app) == before


def test_a_backup_that_cannot_be_written_says_why_and_leaves_nothing(shared, tmp_path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    result = run(shared.app, "backup", str(blocked / "backup.file"))
    assert result.exit_code != 0
    assert "Error:" in result.output
    assert blocked.read_text() == ""


# Encryption and erasures ------------------------------------------------------------


@pytest.fixture
def age_keys(tmp_path):
    """An age key pair, as an operator makes one: the identity file and its public key."""
    identity = tmp_path / "backup-identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    public = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return identity, public


def test_an_encrypted_backup_holds_no_readable_data_and_restores_with_its_key(
    shared, tmp_path, age_keys
):
    identity, public = age_keys
    app = shared.app
    app.config["ACADEMY_BACKUP_RECIPIENTS"] = public
    shared.make_member("secret-member@example.org", name="Siân Secret")
    before = snapshot(app)

    result = run(app, "backup", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    (backup_file,) = (tmp_path / "backups").iterdir()  # no plain copy left beside it
    assert backup_file.name.endswith(".age")
    data = backup_file.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    for plain in (b"secret-member@example.org", b"SQLite format", b"PGDMP", "Siân".encode()):
        assert plain not in data

    shared.make_member("later@example.org")
    refused = run(app, "restore", str(backup_file), "--yes")
    assert refused.exit_code != 0
    assert "--identity" in refused.output
    wrong = tmp_path / "wrong.txt"
    subprocess.run(["age-keygen", "-o", str(wrong)], check=True, capture_output=True)
    refused = run(app, "restore", str(backup_file), "--identity", str(wrong), "--yes")
    assert refused.exit_code != 0
    assert "age failed" in refused.output
    assert len(snapshot(app)["users"]) == 2  # nothing changed

    result = run(app, "restore", str(backup_file), "--identity", str(identity), "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before
    assert not [p for p in (tmp_path / "backups").iterdir() if p != backup_file]


def test_production_writes_no_unencrypted_backup(shared, tmp_path):
    app = shared.app
    app.config.update(ACADEMY_ENV="production", ACADEMY_BACKUP_RECIPIENTS="")
    result = run(app, "backup", str(tmp_path / "backups"))
    assert result.exit_code != 0
    assert "ACADEMY_BACKUP_RECIPIENTS must be set in production" in result.output
    assert not any((tmp_path / "backups").iterdir())
    app.config["ACADEMY_BACKUP_RECIPIENTS"] = "not-a-key"
    result = run(app, "backup", str(tmp_path / "backups"))
    assert "'not-a-key' is not an age public key" in result.output


def erase(app, user_id: int) -> None:
    from academy.services import privacy

    with app.app_context():
        privacy.erase_account(db.session.get(User, user_id), reason="request")
        db.session.commit()
        db.session.remove()


def erased_state(app, user_id: int) -> tuple[bool, str]:
    from academy.models import Erasure

    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            return db.session.get(Erasure, user_id) is not None, user.display_name
        finally:
            db.session.remove()


def test_a_member_erased_after_the_backup_stays_erased_after_a_restore(shared, tmp_path):
    app = shared.app
    erased_id = shared.make_member("leaving@example.org", name="Leaving Member")
    kept_id = shared.make_member("staying@example.org", name="Staying Member")
    assert run(app, "backup", str(tmp_path / "before.backup")).exit_code == 0
    erase(app, erased_id)

    result = run(app, "restore", str(tmp_path / "before.backup"), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased again 1 member erased since the backup was taken." in result.output
    assert erased_state(app, erased_id) == (True, "Erased member")
    assert erased_state(app, kept_id) == (False, "Staying Member")
    assert "leaving@example.org" not in str(snapshot(app))


def drop_everything(app) -> None:
    """The database is lost: what a restore then starts from."""
    with app.app_context():
        db.drop_all()
        db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.session.remove()


def test_with_the_database_lost_the_exported_ledger_erases_them_again(shared, tmp_path):
    app = shared.app
    erased_id = shared.make_member("gone@example.org", name="Gone Member")
    assert run(app, "backup", str(tmp_path / "before.backup")).exit_code == 0
    erase(app, erased_id)
    ledger = tmp_path / "erasures.jsonl"
    result = run(app, "erasure-ledger", str(ledger))
    assert result.exit_code == 0, result.output
    assert "gone@example.org" not in ledger.read_text()  # ids and dates only

    # Without the ledger the lost database's erasures would come back...
    drop_everything(app)
    result = run(app, "restore", str(tmp_path / "before.backup"), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased again 0 members" in result.output
    assert erased_state(app, erased_id) == (False, "Gone Member")

    # ...with it, they do not.
    drop_everything(app)
    backup_file = str(tmp_path / "before.backup")
    result = run(app, "restore", backup_file, "--erasures", str(ledger), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased again 1 member " in result.output
    assert erased_state(app, erased_id) == (True, "Erased member")


def test_a_ledger_file_that_is_not_one_changes_nothing(shared, tmp_path):
    app = shared.app
    shared.make_member("someone@example.org")
    assert run(app, "backup", str(tmp_path / "b.backup")).exit_code == 0
    shared.make_member("another@example.org")
    before = snapshot(app)
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"user_id": "x"}\n')
    result = run(app, "restore", str(tmp_path / "b.backup"), "--erasures", str(bogus), "--yes")
    assert result.exit_code != 0
    assert "line 1 is not an erasure ledger entry" in result.output
    assert snapshot(app) == before
