import pytest

from academy import create_app
from academy.config import ConfigError
from tests.conftest import base_config

REQUIRED = (
    "SECRET_KEY",
    "ACADEMY_BADGE_SIGNING_KEY",
    "REDIS_URL",
    "MAIL_SERVER",
    "ACADEMY_BASE_URL",
)


@pytest.mark.parametrize(
    "setting",
    ["SECRET_KEY", "ACADEMY_BADGE_SIGNING_KEY", "REDIS_URL", "MAIL_SERVER", "ACADEMY_BASE_URL"],
)
def test_production_refuses_to_start_without_each_required_setting(
    tmp_path, database, monkeypatch, setting
):
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    config = base_config(tmp_path, database, ACADEMY_ENV="production", MAIL_SERVER="smtp.test")
    config.pop("MAIL_BACKEND")  # the tests' in-memory outbox would stand in for a server
    create_app(dict(config))  # complete: starts
    config.pop(setting)
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert f"{setting} must be set when ACADEMY_ENV=production" in message
    # Only what is missing is named.
    assert message.count("must be set") == 1


def test_production_names_every_missing_setting_at_once(tmp_path, database, monkeypatch):
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    config = base_config(tmp_path, database, ACADEMY_ENV="production")
    for name in ("SECRET_KEY", "ACADEMY_BADGE_SIGNING_KEY", "REDIS_URL", "MAIL_BACKEND"):
        config.pop(name)
    config.pop("ACADEMY_BASE_URL")
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    for name in REQUIRED:
        assert f"{name} must be set" in str(refused.value)


def test_development_needs_none_of_them(tmp_path, database, monkeypatch):
    for name in ("SECRET_KEY", "ACADEMY_BADGE_SIGNING_KEY", "REDIS_URL", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    config = base_config(tmp_path, database)
    for name in ("SECRET_KEY", "MAIL_BACKEND"):
        config.pop(name)
    app = create_app(config)
    assert app.config["MAIL_BACKEND"] == "academy.mail.LogEmailBackend"


def test_production_sets_secure_cookies_and_hsts(tmp_path, database):
    app = create_app(base_config(tmp_path, database, ACADEMY_ENV="production"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/privacy")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_development_key_is_generated_once_and_kept_in_the_instance_folder(
    tmp_path, database, monkeypatch
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = base_config(tmp_path, database)
    config.pop("SECRET_KEY")
    first = create_app(dict(config)).config["SECRET_KEY"]
    second = create_app(dict(config)).config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_database_url_from_hosts_is_mapped_to_psycopg(tmp_path, database):
    config = base_config(tmp_path, database, ACADEMY_CHECK_CURRICULUM=False)
    config["SQLALCHEMY_DATABASE_URI"] = "postgres://u@127.0.0.1:1/x"
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app = create_app(config)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_database_connections_are_configured_for_their_engine(app):
    """SQLite: WAL, foreign keys, a busy timeout. PostgreSQL: pooled, pinged before use."""
    from sqlalchemy import text

    from academy.extensions import db

    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.engine.pool._pre_ping is False  # a file never drops the connection
    else:
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.pool._pre_ping is False  # pinged only after idling (test_idle_ping.py)
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, make_user, login):
    login(client, make_user())
    assert client.get("/privacy").headers["Cache-Control"] == "no-store"


def test_static_files_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/css/academy.css?v=" in page
    response = client.get("/static/css/academy.css")
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_no_external_assets_in_templates():
    """The app works offline: nothing is loaded from a CDN or any other host."""
    import re
    from pathlib import Path

    external = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
    root = Path(__file__).resolve().parents[2]
    for path in [
        *root.joinpath("academy").rglob("*.html"),
        *root.joinpath("academy").rglob("*.css"),
    ]:
        assert not external.search(path.read_text()), f"external asset in {path}"


def test_health_check(client):
    """Without REDIS_URL (as `make run` ships) the database is the one component."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "components": {"database": {"ok": True}}}


def test_health_check_answers_503_when_the_database_does_not(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 32,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://nobody@127.0.0.1:{port}/none",
            "ACADEMY_CHECK_CURRICULUM": False,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["database"]
    assert body["components"]["database"]["ok"] is False


def test_the_queue_sweep_runs_every_30_seconds_by_default(tmp_path, database):
    """The shipped interval (tests of the sweep itself shorten it)."""
    app = create_app(base_config(tmp_path, database))
    assert app.config["ACADEMY_QUEUE_SWEEP_SECONDS"] == 30


@pytest.mark.parametrize("code", [400, 403, 404, 429, 500])
def test_error_pages_use_the_layout(app, code):
    from flask import abort

    @app.get(f"/_boom/{code}")
    def boom():
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(f"/_boom/{code}")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert 'class="skip-link"' in body
    assert "<h1>" in body


def test_production_names_the_session_cookie_with_the_host_prefix(tmp_path, database, make_user):
    """__Host-session: the browser keeps it only if Secure, Path=/ and without Domain."""
    app = create_app(base_config(tmp_path, database, ACADEMY_ENV="production"))
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    from tests.conftest import BrowserLikeClient

    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    page = client.get("/login", base_url="https://academy.test")
    (cookie,) = page.headers.getlist("Set-Cookie")
    name, _, attributes = cookie.partition("; ")
    parts = {part.split("=", 1)[0].lower(): part for part in attributes.split("; ")}
    assert name.startswith("__Host-session=")
    assert {"secure", "httponly", "path", "samesite"} <= set(parts)
    assert parts["path"] == "Path=/"
    assert parts["samesite"] == "SameSite=Lax"
    assert "domain" not in parts
    # The test client's CSRF helper reads the cookie by the app's name, in production too.
    assert client.csrf_token()


def test_development_keeps_the_plain_cookie_name(app, client):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    client.get("/login")
    assert client.get_cookie("session") is not None
    assert client.csrf_token()
