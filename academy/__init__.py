"""The Organising Academy: a learning-management system for the Labour Organising Academies."""

from __future__ import annotations

import os

from flask import Flask

from academy import paths
from academy.config import defaults, finalise


class Academy(Flask):
    """Flask, with each request's before-request hooks and view run again once when the
    database connection was dropped under them before anything was committed
    (academy/database.py, `retry_on_disconnect`)."""

    def preprocess_request(self):
        from academy.database import retry_on_disconnect

        return retry_on_disconnect(super().preprocess_request)

    def dispatch_request(self):
        from academy.database import retry_on_disconnect

        return retry_on_disconnect(super().dispatch_request)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, instance config, environment, then `config`."""
    config = dict(config or {})
    app = Academy(
        __name__,
        # An installed package's default instance folder is inside its virtualenv;
        # production names one (absolute) outside it, e.g. /var/lib/academy.
        instance_path=config.pop("INSTANCE_PATH", None)
        or os.environ.get("ACADEMY_INSTANCE_PATH")
        or None,
        instance_relative_config=True,
    )
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_<NAME> overrides any setting
    app.config.update(config)
    finalise(app.config, app.instance_path)

    from academy import logging_setup

    logging_setup.configure(app)

    # The database first: everything after it may need a session.
    from academy.extensions import cache, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    from academy import database

    database.configure_engines(app)
    database.install_retry(app)
    migrate.init_app(app, db, directory=str(paths.MIGRATIONS_DIR))
    # Then the request-level guards: sessions, CSRF on every POST, rate limits.
    from academy import sessions

    sessions.init_app(app, login_manager)
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    mail.init_app(app)
    if app.config["REDIS_URL"]:
        # The queue's Redis must keep what it is given: warn once if it may not
        # (the RQ worker starts through here too).
        from academy.ops.redis_check import check_redis

        check_redis(app.config["REDIS_URL"])

    from academy import security

    security.init_app(app)

    from academy import assets

    assets.init_app(app)

    from academy import navigation, templating

    navigation.init_app(app)
    templating.init_app(app)  # every template filter, in one place

    from academy import errors

    errors.init_app(app)
    _register_blueprints(app)

    from academy import redaction

    # Last: it learns from the URL map which routes carry a secret.
    redaction.install(app)

    from academy.cli import academy_cli

    app.cli.add_command(academy_cli)

    if app.config["ACADEMY_CHECK_CURRICULUM"]:
        # Refuse to start on a curriculum that fails the check, and say why.
        from academy.content.startup import verify_curriculum

        verify_curriculum(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from academy.auth import bp as auth_bp
    from academy.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    from academy.cohorts import bp as cohorts_bp

    app.register_blueprint(cohorts_bp)
    from academy.learn import bp as learn_bp
    from academy.training import bp as training_bp

    app.register_blueprint(training_bp)

    app.register_blueprint(learn_bp)
    from academy.staff import bp as staff_bp
    from academy.verify import bp as verify_bp
    from academy.verify import holder_bp as certificates_bp

    app.register_blueprint(staff_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(certificates_bp)
    from academy.account import bp as account_bp

    app.register_blueprint(account_bp)
    from academy.reports import bp as reports_bp

    app.register_blueprint(reports_bp)
    from academy.admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    from academy import ops  # proxies, and the benchmark's bare page when ACADEMY_BENCH=1

    ops.init_app(app)
