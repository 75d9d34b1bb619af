"""`flask academy backup` and `restore`: a restored backup has every row it was taken with.

On SQLite (online backup API) or, where TEST_DATABASE_URL is set, PostgreSQL
(pg_dump/pg_restore of the test's own schema)."""

from __future__ import annotations

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
