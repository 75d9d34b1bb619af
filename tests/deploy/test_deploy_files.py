"""deploy/: the systemd units and the nginx site, checked with the real tools.

`systemd-analyze verify` reads every unit (with /opt/academy/venv pointed at this
venv, so that it also proves the programs they start exist), `nginx -t` reads the
site inside a minimal nginx.conf with a throwaway certificate, and then the units'
own commands run: every scheduled job, the worker, and gunicorn serving HTTPS
through nginx. Missing tools are installed by scripts/system-packages where this
machine allows (root, apt-get); otherwise the tests fail and say what to install.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import TEST_CURRICULUM
from tests.deploy.servers import RedisDatabase, SharedDatabase, app_environment, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "academy.conf"
# Where the units expect the virtualenv; the tests put this one there instead.
VENV = "/opt/academy/venv"
HERE_VENV = str(Path(sys.executable).parent.parent)

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
}
# The scheduled jobs README.md describes: timer -> the command its service runs.
SCHEDULED = {
    "academy-remind": "certificates remind --days 30",
    "academy-retention": "retention run",
    "academy-backup": "backup /var/backups/academy/",
    "academy-resume-batches": "certificates resume-batches",
    "academy-erasure-ledger": "erasure-ledger /var/backups/academy/erasures.jsonl",
    "academy-training-offers": "training expire-offers",
    "academy-session-reminders": "training remind",
}


# The tools --------------------------------------------------------------------------------


def tool(name: str, package: str) -> str:
    """The path of a Debian tool, installed by scripts/system-packages if missing."""

    def find() -> str | None:
        return shutil.which(name) or next(
            (f"{d}/{name}" for d in ("/usr/sbin", "/usr/bin") if os.access(f"{d}/{name}", os.X_OK)),
            None,
        )

    found = find()
    if found is None:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "system-packages")],
            capture_output=True,
            text=True,
            timeout=600,
        )
        found = find()
        if found is None:
            pytest.fail(
                f"{name} (Debian package {package}) is needed to check deploy/ and could not "
                f"be installed here: {(result.stdout + result.stderr).strip()} "
                f"(as root: apt-get install {package})"
            )
    return found


@pytest.fixture(scope="module")
def systemd_analyze() -> str:
    return tool("systemd-analyze", "systemd")


@pytest.fixture(scope="module")
def nginx() -> str:
    return tool("nginx", "nginx")


# Units ------------------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values]}}: systemd keys may repeat."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(name: str) -> dict[str, list[str]]:
    return parse_unit(UNITS / name)["Service"]


def commands(name: str, key: str = "ExecStart") -> list[list[str]]:
    """A unit's command lines, with this venv in place of /opt/academy/venv."""
    return [shlex.split(line.replace(VENV, HERE_VENV)) for line in service(name)[key]]


def command(name: str, key: str = "ExecStart") -> list[str]:
    (line,) = commands(name, key)
    return line


def units_for_this_machine(tmp: Path) -> Path:
    """A copy of deploy/systemd/ using this venv, with an instance of the worker template."""
    folder = tmp / "units"
    folder.mkdir()
    for unit in UNITS.iterdir():
        (folder / unit.name).write_text(unit.read_text().replace(VENV, HERE_VENV))
    shutil.copy(folder / "academy-worker@.service", folder / "academy-worker@1.service")
    return folder


def verify(systemd_analyze: str, folder: Path) -> tuple[int, list[str]]:
    """systemd-analyze verify on every unit in `folder`: its exit status and what it
    said about our units (not about the machine's own)."""
    units = sorted(str(p) for p in folder.iterdir() if p.name != "academy-worker@.service")
    result = subprocess.run(
        [systemd_analyze, "verify", *units],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(folder) in line or "academy" in line
    ]
    return result.returncode, ours


def test_systemd_analyze_verify_finds_nothing_to_say_about_our_units(systemd_analyze, tmp_path):
    status, said = verify(systemd_analyze, units_for_this_machine(tmp_path))
    assert said == []
    assert status == 0


def test_systemd_analyze_verify_would_catch_a_mistake(systemd_analyze, tmp_path):
    folder = units_for_this_machine(tmp_path)
    web = folder / "academy-web.service"
    web.write_text(web.read_text().replace("Restart=always", "Restart=allways"))
    timer = folder / "academy-resume-batches.timer"
    timer.write_text(timer.read_text().replace("OnCalendar=*:0/15", "OnCalendar=*:0/15x"))
    (folder / "academy-remind.service").write_text(
        (UNITS / "academy-remind.service").read_text()  # /opt/academy/venv does not exist
    )

    status, said = verify(systemd_analyze, folder)

    text = "\n".join(said)
    assert "allways" in text
    assert "0/15x" in text
    assert "/opt/academy/venv/bin/flask is not executable" in text
    assert status != 0


def test_every_service_runs_unprivileged_with_the_same_hardening():
    services = sorted(UNITS.glob("*.service"))
    assert len(services) == 3 + len(SCHEDULED)  # web, worker, upgrade and the jobs
    for path in services:
        unit = parse_unit(path)["Service"]
        assert unit["User"] == ["academy"], path.name
        assert unit["Group"] == ["academy"], path.name
        assert unit["EnvironmentFile"] == ["/etc/academy/academy.env"], path.name
        assert unit["StateDirectory"] == ["academy"], path.name
        for key, value in HARDENING.items():
            assert unit.get(key) == [value], f"{path.name}: {key}={value}"
        # The same full list everywhere, not just the keys named above.
        assert _hardening(unit) == _hardening(service("academy-web.service")), path.name


def _hardening(unit: dict[str, list[str]]) -> dict[str, list[str]]:
    names = ("Protect", "Private", "Restrict", "SystemCall", "Capability", "Ambient")
    return {
        k: v
        for k, v in unit.items()
        if k.startswith(names) or k in {"NoNewPrivileges", "LockPersonality", "UMask"}
    }


def test_web_and_worker_restart_always_and_stop_gracefully_on_sigterm():
    for name in ("academy-web.service", "academy-worker@.service"):
        unit = service(name)
        assert unit["Restart"] == ["always"], name
        assert unit["KillSignal"] == ["SIGTERM"], name
        # SIGTERM to the main process only: gunicorn's master and RQ's worker then let
        # their workers or work horse finish; signalling those directly would cut them off.
        assert unit["KillMode"] == ["mixed"], name
    web = command("academy-web.service")
    assert web[0].endswith("/gunicorn")
    assert web[1:] == ["--config", "python:academy.ops.gunicorn_config", "academy:create_app()"]
    assert command("academy-worker@.service")[1:] == ["--app", "academy", "academy", "worker"]
    # Longer than a job may run (academy/jobs.py), so a stop never kills one.
    assert int(service("academy-worker@.service")["TimeoutStopSec"][0]) > 600


def test_a_release_migrates_seeds_and_syncs_in_one_oneshot_service():
    assert service("academy-upgrade.service")["Type"] == ["oneshot"]
    assert [line[3:] for line in commands("academy-upgrade.service")] == [
        ["db", "upgrade"],
        ["academy", "seed-academies"],
        ["academy", "curriculum", "sync"],
    ]


def test_every_scheduled_job_has_a_timer_and_a_oneshot_service():
    timers = {path.stem for path in UNITS.glob("*.timer")}
    assert timers == set(SCHEDULED)
    for name, expected in SCHEDULED.items():
        timer = parse_unit(UNITS / f"{name}.timer")
        assert timer["Timer"]["OnCalendar"], name
        assert timer["Install"]["WantedBy"] == ["timers.target"], name
        unit = service(f"{name}.service")
        assert unit["Type"] == ["oneshot"], name
        assert " ".join(command(f"{name}.service")[4:]) == expected, name
    assert parse_unit(UNITS / "academy-resume-batches.timer")["Timer"]["OnCalendar"] == ["*:0/15"]
    # An offer of a place lasts two days: checked every five minutes, it lapses on time.
    assert parse_unit(UNITS / "academy-training-offers.timer")["Timer"]["OnCalendar"] == ["*:0/5"]
    # Reminders go for sessions within the next day: hourly, none is missed.
    assert parse_unit(UNITS / "academy-session-reminders.timer")["Timer"]["OnCalendar"] == [
        "hourly"
    ]
    for daily in ("academy-remind", "academy-retention", "academy-backup"):
        (calendar,) = parse_unit(UNITS / f"{daily}.timer")["Timer"]["OnCalendar"]
        assert calendar.startswith("*-*-* "), daily
    assert service("academy-backup.service")["ReadWritePaths"] == ["/var/backups/academy"]


def test_the_readme_lists_every_unit_and_scheduled_command():
    readme = (ROOT / "README.md").read_text()
    for unit in UNITS.iterdir():
        assert f"`{unit.name}`" in readme, unit.name
    for expected in SCHEDULED.values():
        assert f"flask academy {expected.split(' /')[0]}" in readme, expected


def test_the_example_environment_names_only_settings_the_app_reads():
    example = (DEPLOY / "academy.env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert {"ACADEMY_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names
    code = "\n".join(p.read_text() for p in (ROOT / "academy").rglob("*.py"))
    for name in names:
        assert re.search(rf"[\"']{name}[\"']", code), f"{name} is read nowhere in academy/"


# The units' own commands, run here ----------------------------------------------------------


@pytest.fixture
def shared(tmp_path_factory):
    database = SharedDatabase(tmp_path_factory.mktemp("deploy-db"))
    yield database
    database.drop()


@pytest.fixture
def redis_db():
    database = RedisDatabase()
    yield database
    database.release()


def environment(shared, redis_db, tmp: Path, **extra) -> dict[str, str]:
    return app_environment(shared, redis_db, tmp, ACADEMY_INSTANCE_PATH=str(tmp / "i"), **extra)


def test_the_scheduled_jobs_and_the_worker_run_as_the_units_say(shared, redis_db, tmp_path):
    env = environment(shared, redis_db, tmp_path, ACADEMY_BACKUP_RECIPIENTS=age_recipient(tmp_path))
    backups = tmp_path / "backups"
    backups.mkdir()
    runs = [command(f"{name}.service") for name in SCHEDULED]
    runs = [
        [arg.replace("/var/backups/academy/", str(backups) + "/") for arg in run] for run in runs
    ]
    runs.append(command("academy-worker@.service") + ["--burst"])
    runs += commands("academy-upgrade.service")
    for run in runs:
        result = subprocess.run(
            run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{run}:\n{result.stdout}\n{result.stderr}"
    backup, ledger = sorted(backups.iterdir())
    assert backup.name.startswith("academy-")
    assert backup.name.endswith(".age")  # production writes encrypted backups only
    assert ledger.name == "erasures.jsonl"
    # The clean-up after a backup keeps it (it is not two weeks old).
    prune = [
        str(backups) if arg == "/var/backups/academy" else arg
        for arg in command("academy-backup.service", "ExecStartPost")
    ]
    subprocess.run(prune, check=True, timeout=60)
    assert backup.exists()


def age_recipient(folder: Path) -> str:
    """The public key of a new age key pair (what ACADEMY_BACKUP_RECIPIENTS names)."""
    identity = folder / "backup-identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    return subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_academy_flask_runs_a_command_with_the_example_environment(shared, redis_db, tmp_path):
    """deploy/academy-flask reads the environment file as sh: the example must parse."""
    settings = (DEPLOY / "academy.env.example").read_text()
    for name, value in {
        "DATABASE_URL": shared.url,
        "REDIS_URL": redis_db.url,
        "ACADEMY_INSTANCE_PATH": str(tmp_path / "instance"),
        "ACADEMY_CERTIFICATES_DIR": str(tmp_path / "certificates"),
        "ACADEMY_BACKUP_RECIPIENTS": age_recipient(tmp_path),
    }.items():
        settings, count = re.subn(rf"^{name}=.*$", f"{name}='{value}'", settings, flags=re.M)
        assert count == 1, name
    settings += f"ACADEMY_CURRICULUM_DIR={TEST_CURRICULUM}\n"
    (tmp_path / "academy.env").write_text(settings)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "ACADEMY_", "DATABASE_", "REDIS_", "MAIL_"))
    }
    env.update(
        ACADEMY_ENV_FILE=str(tmp_path / "academy.env"),
        ACADEMY_VENV=HERE_VENV,
        ACADEMY_USER=subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip(),
        ACADEMY_HOME=str(tmp_path),
    )

    def academy_flask(*args: str) -> str:
        result = subprocess.run(
            [str(DEPLOY / "academy-flask"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "11 academies" in academy_flask("academy", "seed-academies")
    # With no folder given, backups go to the instance folder the file names.
    academy_flask("academy", "backup")
    assert list((tmp_path / "instance" / "backups").iterdir())


# nginx ------------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "academy.example.org")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("academy.example.org"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_for_test(tmp: Path, *, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx/academy.conf with this test's ports, certificate and folders, inside
    the smallest nginx.conf that includes a site; returns that nginx.conf."""
    cert, key = self_signed_certificate(tmp)
    site = SITE.read_text()
    for old, new in {
        "/etc/letsencrypt/live/academy.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/academy.example.org/privkey.pem": str(key),
        "/var/cache/nginx/academy": str(tmp / "cache"),
        "/var/www/letsencrypt": str(tmp / "acme"),
        "server 127.0.0.1:8000 ": f"server 127.0.0.1:{app_port} ",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
    }.items():
        assert old in site, f"{old!r} is no longer in {SITE.name}: update this test"
        site = site.replace(old, new)
    (tmp / "academy.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # the cache is in our tmp folder
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    access_log {tmp / "access.log"};
{temp}
    include {tmp / "academy.conf"};
}}
"""
    )
    return conf


def nginx_test(nginx: str, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(conf.parent),
            "-e",
            str(conf.parent / "error.log"),
            "-c",
            str(conf),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nginx_accepts_the_site_without_a_warning(nginx, tmp_path):
    conf = nginx_for_test(tmp_path, app_port=8000, http_port=8080, https_port=8443)

    result = nginx_test(nginx, conf)

    said = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 0, result.stderr
    assert [line for line in said if "[" in line] == [], said  # [warn], [emerg] …
    assert any("syntax is ok" in line for line in said)
    assert any("test is successful" in line for line in said)


def test_nginx_test_would_catch_a_mistake(nginx, tmp_path):
    conf = nginx_for_test(tmp_path, app_port=8000, http_port=8080, https_port=8443)
    site = tmp_path / "academy.conf"
    site.write_text(site.read_text().replace("client_max_body_size 5m;", "client_max_body 5m;"))

    result = nginx_test(nginx, conf)

    assert result.returncode != 0
    assert 'unknown directive "client_max_body"' in result.stderr


class HTTPS:
    """Requests to nginx over HTTPS, trusting only the test's certificate."""

    def __init__(self, port: int, cafile: Path):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cafile))

    def request(self, method: str, path: str, body: bytes | None = None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=20
        )
        try:
            connection.request(method, path, body=body, headers={"User-Agent": "deploy-test"})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def start(argv: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise
    return process.returncode


def wait_for(check, what: str, log: Path, seconds: float = 40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in {seconds}s:\n{log.read_text()[-3000:]}")


def test_the_web_unit_serves_https_through_the_nginx_site(nginx, shared, redis_db, tmp_path):
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    env = environment(
        shared,
        redis_db,
        tmp_path,
        GUNICORN_BIND=f"127.0.0.1:{app_port}",
        WEB_CONCURRENCY="2",
        ACADEMY_PROXIES="1",
    )
    conf = nginx_for_test(tmp_path, app_port=app_port, http_port=http_port, https_port=https_port)
    web_log, nginx_log = tmp_path / "web.log", tmp_path / "nginx.out"
    web = start(command("academy-web.service"), env, web_log, tmp_path)
    proxy = start(
        [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)]
        + ["-g", "daemon off;"],
        os.environ.copy(),
        nginx_log,
        tmp_path,
    )
    try:
        client = HTTPS(https_port, tmp_path / "fullchain.pem")
        wait_for(lambda: client.request("GET", "/healthz")[0] == 200, "nginx → gunicorn", web_log)

        status, headers, body = client.request("GET", "/healthz")
        assert status == 200
        assert b'"ok"' in body

        status, headers, body = client.request("GET", "/courses")
        assert status == 200
        # The app saw HTTPS (X-Forwarded-Proto): it sends HSTS only then.
        assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")
        css = re.search(rb'"(/static/[^"]+\.css[^"]*)"', body)[1].decode()
        first = client.request("GET", css)
        second = client.request("GET", css)
        assert first[0] == second[0] == 200
        assert "immutable" in first[1]["Cache-Control"]
        assert second[1]["X-Cache-Status"] == "HIT"
        assert second[2] == first[2]

        # Bigger than client_max_body_size: nginx refuses it before the app sees it.
        assert client.request("POST", "/login", body=b"x" * (6 * 1024 * 1024))[0] == 413

        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/courses?page=2")
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == "https://127.0.0.1/courses?page=2"
        plain.close()
    finally:
        stop(proxy)
        # SIGTERM, as systemd sends it: gunicorn stops gracefully and exits 0.
        assert stop(web, timeout=45) == 0, web_log.read_text()[-3000:]
