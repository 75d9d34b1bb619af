"""Settings from the environment, with safe defaults for development.

Order of precedence (lowest first): the defaults here, `instance/config.py`
if present, `ACADEMY_*`/`FLASK_*` prefixed environment variables, then the
dict passed to `create_app` (tests).
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

from academy import paths


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def defaults(instance_path: str) -> dict:
    """Every setting the app reads, with its development default."""
    env = os.environ.get("ACADEMY_ENV", "development")
    return {
        "ACADEMY_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Keys retired by a rotation, still accepted (sessions, e-mailed links, what
        # academy.crypto encrypted); whitespace- or comma-separated in the environment.
        "SECRET_KEY_FALLBACKS": _words(os.environ.get("SECRET_KEY_FALLBACKS", "")),
        # Open Badges (services/certificates/signing.py): the Ed25519 key that signs,
        # its id, and the public keys of retired ones ("id:x" pairs, x being the
        # key's publicKeyJwk "x" as /verify/issuer.json published it).
        "ACADEMY_BADGE_SIGNING_KEY": os.environ.get("ACADEMY_BADGE_SIGNING_KEY"),
        "ACADEMY_BADGE_SIGNING_KEY_ID": os.environ.get("ACADEMY_BADGE_SIGNING_KEY_ID", "key-1"),
        "ACADEMY_BADGE_RETIRED_KEYS": os.environ.get("ACADEMY_BADGE_RETIRED_KEYS", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'academy.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL"),
        # The public address for links that leave the site (academy/links.py). Unset in
        # development: links then follow the host and port actually served. Required in
        # production (PRODUCTION_SETTINGS).
        "ACADEMY_BASE_URL": os.environ.get("ACADEMY_BASE_URL", ""),
        "ACADEMY_CURRICULUM_DIR": os.environ.get(
            "ACADEMY_CURRICULUM_DIR", str(paths.CURRICULUM_DIR)
        ),
        "ACADEMY_CERTIFICATES_DIR": os.environ.get(
            "ACADEMY_CERTIFICATES_DIR", str(Path(instance_path) / "certificates")
        ),
        "ACADEMY_CHECK_CURRICULUM": True,
        # age public keys (age1…) backups are encrypted to (academy/ops/backup_encryption.py);
        # production writes no unencrypted backup.
        "ACADEMY_BACKUP_RECIPIENTS": os.environ.get("ACADEMY_BACKUP_RECIPIENTS", ""),
        # Mail: real SMTP when MAIL_SERVER is set; otherwise (academy/mail.py) each message
        # is written to the log and, in development, printed and kept in instance/outbox/.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "true").lower() == "true",
        "MAIL_USE_SSL": os.environ.get("MAIL_USE_SSL", "false").lower() == "true",
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Organising Academy <academy@localhost>"
        ),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "30")),
        # Seconds between attempts to deliver an e-mail (so 1 + len attempts in all); a
        # message that fails them all is recorded for admins (academy/services/mail_failures).
        "MAIL_RETRY_DELAYS": (10, 60, 300, 900),
        # How long a failed e-mail's record is kept (removed by `flask academy retention run`).
        "MAIL_FAILURE_DAYS": 30,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # PostgreSQL: a pooled connection idle for this long is pinged before use
        # (academy/database.py); 0 pings at every checkout, as pool_pre_ping would.
        "DATABASE_IDLE_PING_SECONDS": 5,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "WTF_CSRF_TIME_LIMIT": None,  # the token is bound to the session instead
        "PASSWORD_RESET_MAX_AGE": 3600,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "5 per 15 minutes",
        # How long security events (academy/services/security_log.py) are kept; removed by
        # `flask academy retention run`.
        "SECURITY_LOG_DAYS": int(os.environ.get("ACADEMY_SECURITY_LOG_DAYS", "90")),
        "VERIFY_RATE_LIMIT": "60 per minute",
        # How long the staff home page's counts may be kept
        # (services/staff_counts.py).
        "STAFF_COUNTS_SECONDS": 60,
        # How long the cohort page's whole-cohort figures may be kept
        # (services/cohorts/summaries.py).
        "COHORT_SUMMARY_SECONDS": 60,
        # How often a process asks the database whether the curriculum has changed
        # (services/learning/outline.py); 0: on every request.
        "CURRICULUM_CHECK_SECONDS": 2,
        # How long a signed Open Badges revocation list may be kept, and relying parties
        # told they may keep it (services/certificates/badge_status.py); a revocation
        # clears it here.
        "BADGE_STATUS_SECONDS": 300,
        # Item analysis (services/item_analysis/): after how long a quiz's figures are
        # worked out afresh; up to how many attempts that is done within the request
        # (beyond, in the background); below how many attempts a question's figures are
        # not shown; how many times a short answer must be given to be shown (free text
        # can name people).
        "ITEM_ANALYSIS_SECONDS": 300,
        "ITEM_ANALYSIS_INLINE_ATTEMPTS": 5000,
        "ITEM_ANALYSIS_MIN_ATTEMPTS": 20,
        "ITEM_ANALYSIS_MIN_ANSWER_COUNT": 5,
        # Where REDIS_URL is set: how often (at most) each web process looks for
        # certificate batches asked for while the queue was down, and queues them
        # (academy/ops/sweep.py); 0: never (the worker still does at its start).
        "ACADEMY_QUEUE_SWEEP_SECONDS": 30,
    }


def finalise(config: dict, instance_path: str) -> None:
    """Fill in derived settings and refuse unsafe production configurations."""
    production = config["ACADEMY_ENV"] == "production"
    # Cookies only over HTTPS in production (development runs on plain http://127.0.0.1).
    if production:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        # The __Host- prefix makes the browser refuse the cookie unless it is Secure, has
        # Path=/ and no Domain: no sibling subdomain can set or overwrite the session.
        config["SESSION_COOKIE_NAME"] = "__Host-session"
        config["SESSION_COOKIE_PATH"] = "/"
        config["SESSION_COOKIE_DOMAIN"] = None
    if production:
        _refuse_missing_production_settings(config)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_secret(Path(instance_path))
    if isinstance(config.get("SECRET_KEY_FALLBACKS"), str):
        config["SECRET_KEY_FALLBACKS"] = _words(config["SECRET_KEY_FALLBACKS"])
    if isinstance(config.get("ACADEMY_BADGE_RETIRED_KEYS"), str):
        config["ACADEMY_BADGE_RETIRED_KEYS"] = _retired_badge_keys(
            config["ACADEMY_BADGE_RETIRED_KEYS"]
        )
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the form some hosts hand out
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        # A file cannot have dropped the connection: pinging it is a statement per
        # request for nothing.
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    # Redis is a dependency the site survives (issue 23; README, "When Redis is down"):
    # with its store unreachable the rate limiter counts in this process's memory
    # (the same limits, per process; logged once) and goes back to Redis when it
    # answers again. Errors past that are logged, never a 500.
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # One cache for every worker where there is Redis; otherwise each process keeps its own.
    if config["REDIS_URL"]:
        # A Redis that hangs must not hang the pages: give up on it after two seconds.
        timeouts = {"socket_connect_timeout": 2, "socket_timeout": 2}
        if config["RATELIMIT_STORAGE_URI"].startswith("redis"):
            config.setdefault("RATELIMIT_STORAGE_OPTIONS", timeouts)
        config.setdefault("CACHE_TYPE", "RedisCache")
        config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
        if config["CACHE_TYPE"] in ("RedisCache", "flask_caching.backends.RedisCache"):
            config.setdefault("CACHE_OPTIONS", timeouts)
    else:
        config.setdefault("CACHE_TYPE", "SimpleCache")
    config.setdefault("CACHE_KEY_PREFIX", "academy-cache:")
    if not config.get("MAIL_BACKEND"):
        config["MAIL_BACKEND"] = "smtp" if config["MAIL_SERVER"] else "academy.mail.LogEmailBackend"


# What production cannot run without, and how to provide it. Each machine would
# otherwise invent its own key (sessions and badges that other machines reject),
# keep its queue and rate limits to itself, or lose every e-mail.
PRODUCTION_SETTINGS = {
    "SECRET_KEY": "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'",
    "ACADEMY_BADGE_SIGNING_KEY": "the Ed25519 key that signs Open Badges, the same on every "
    "machine (README, Deployment, prints how to make one)",
    "REDIS_URL": "the Redis of the job queue, rate limits and cache, e.g. redis://redis:6379/0",
    "MAIL_SERVER": "the SMTP server that sends e-mail (or MAIL_BACKEND naming another backend)",
    # Links in e-mails, QR codes and badges name it; taking the address from a request's
    # Host header instead (as development does) would let anyone choose where a reset
    # link points.
    "ACADEMY_BASE_URL": "the public https:// address, e.g. https://academy.example.org",
}


def _refuse_missing_production_settings(config: dict) -> None:
    """Raise ConfigError naming every required production setting that is unset."""
    missing = [name for name in PRODUCTION_SETTINGS if not config.get(name)]
    if "MAIL_SERVER" in missing and config.get("MAIL_BACKEND") not in (
        None,
        "",
        "academy.mail.LogEmailBackend",
    ):
        missing.remove("MAIL_SERVER")  # an explicitly chosen delivery backend
    if missing:
        raise ConfigError(
            "\n".join(
                f"{name} must be set when ACADEMY_ENV=production ({PRODUCTION_SETTINGS[name]})"
                for name in missing
            )
        )


def _retired_badge_keys(setting: str) -> list[tuple[str, str]]:
    """ACADEMY_BADGE_RETIRED_KEYS ("id:x id:x", x the retired key's public JWK "x") as
    (id, x) pairs; ConfigError naming an entry that is not one."""
    pairs = []
    for entry in _words(setting):
        key, _, x = entry.partition(":")
        try:
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        except ValueError:
            raw = b""
        if not key or len(raw) != 32:
            raise ConfigError(
                f"ACADEMY_BADGE_RETIRED_KEYS: {entry!r} is not id:x, x being the retired "
                "key's publicKeyJwk x (43 characters) as /verify/issuer.json published it"
            )
        pairs.append((key, x))
    return pairs


def _words(value: str) -> list[str]:
    return [word for word in value.replace(",", " ").split() if word]


def _development_secret(instance: Path) -> str:
    """A random key generated once and kept in the instance folder (never in the repo)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
