"""The schema comes from the migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from academy.extensions import db


def _script(app) -> ScriptDirectory:
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_there_is_a_single_head(app):
    Migrate  # noqa: B018 - imported so the extension is surely registered
    assert len(_script(app).get_heads()) == 1


def test_database_is_at_the_head_revision(app):
    context = MigrationContext.configure(db.session.connection())
    assert context.get_current_heads() == tuple(_script(app).get_heads())


def test_models_and_migrations_agree(app):
    """Autogenerate against the migrated database finds nothing to do."""
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "render_as_batch": True}
    )
    assert compare_metadata(context, db.metadata) == []
