"""Every e-mail is written once, as templates, and sent through academy/mail.py."""

from __future__ import annotations

import re
from pathlib import Path

ACADEMY = Path(__file__).parents[2] / "academy"
EMAILS = ACADEMY / "templates" / "email"
SENT = re.compile(
    r"""(?:send_template|compose)\(\s*[^,()]+(?:\([^()]*\))?,\s*["'](\w+)["']""", re.S
)


def test_each_email_has_a_text_and_an_html_part_on_the_one_layout():
    text = {p.stem for p in EMAILS.glob("*.txt")} - {"layout"}
    html = {p.stem for p in EMAILS.glob("*.html")} - {"layout", "_macros"}
    assert text == html
    for name in text:
        txt = (EMAILS / f"{name}.txt").read_text()
        assert txt.startswith('{% extends "email/layout.txt" %}'), name
        assert "{% block subject %}" in txt, name
        assert (
            (EMAILS / f"{name}.html").read_text().startswith('{% extends "email/layout.html" %}')
        ), name


def test_every_template_sent_exists_and_every_template_is_sent():
    sent = set()
    for path in ACADEMY.rglob("*.py"):
        sent |= set(SENT.findall(path.read_text()))
    templates = {p.stem for p in EMAILS.glob("*.txt")} - {"layout"}
    assert sent - templates == set()
    # certificates/notices and promotion pass the name through a variable
    assert templates - sent <= {"trainer_promoted", "trainer_declined", "trainer_demoted"}


def test_no_module_builds_a_message_itself():
    """Only academy/mail.py talks to Flask-Mailman: a message built elsewhere would skip
    the templates, the retries and the record of failures."""
    allowed = {ACADEMY / "mail.py", ACADEMY / "extensions.py"}  # and where it is set up
    offenders = [
        str(path.relative_to(ACADEMY))
        for path in ACADEMY.rglob("*.py")
        if path not in allowed and "flask_mailman" in path.read_text()
    ]
    assert offenders == []
