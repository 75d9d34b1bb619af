"""Absolute links to the site, for what leaves it: e-mails and calendar files.

A link in an e-mail or a calendar entry is opened outside any request, so it is
built from `ACADEMY_BASE_URL`, also from the CLI or a job.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: object) -> str:
    base = current_app.config["ACADEMY_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context():  # from the CLI or a job
        return base + url_for(endpoint, **values)
