"""Absolute links to the site, for everything that leaves it: e-mails, the QR code
and link on a certificate, Open Badges and their status lists, calendar files, the
invitation links trainers copy.

Such a link is opened later and elsewhere, so it is built from the site's public
address (`ACADEMY_BASE_URL`, required in production), never from the Host of the
request that happened to make it (which may be an internal name behind the proxy,
or a forged header). Only in development, where ACADEMY_BASE_URL is usually unset,
does the address follow the host and port actually served (`make run
PORT=8080` gives links to port 8080), and a background job uses the address
captured when it was queued (academy/jobs.py). The path comes from the endpoint,
as `url_for` builds it, so no path prefix is written out anywhere else.

Some of these links are signed or stored (a badge's issuer and status list, the
QR code printed on a PDF): they must keep reading exactly as they do, so the
address is the configured base with its trailing slash removed, followed by the
route's path, character for character what it has always been.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, g, has_request_context, request

# Where links point when nothing says otherwise (a CLI command in development):
# the address `make run` serves by default.
DEVELOPMENT_DEFAULT = "http://127.0.0.1:5000"


def base_url() -> str:
    """The site's public address, without a trailing slash.

    The one place that decides it: `ACADEMY_BASE_URL` when set (always, in
    production); otherwise the address of the request being served; otherwise
    (a background job) the address captured when the job was queued; otherwise
    the development default.
    """
    configured = current_app.config.get("ACADEMY_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    captured = g.get(JOB_BASE_URL)
    if captured:
        return captured
    return DEVELOPMENT_DEFAULT


# Where a job's app context keeps the base URL captured at enqueue time (academy/jobs.py).
JOB_BASE_URL = "academy_job_base_url"


def path_for(endpoint: str, **values: object) -> str:
    """The path of `endpoint` with `values`, as url_for builds it, without any host.

    Works inside a request and outside one (jobs, the CLI): the routes are read
    from the app's URL map, not from the request. `_anchor` adds a fragment.
    """
    anchor = values.pop("_anchor", None)
    app = current_app._get_current_object()
    app.inject_url_defaults(endpoint, values)
    # Bound to no host and the root: build() then answers the route's path alone,
    # whatever prefix the request was served under (the base carries the prefix).
    path = app.url_map.bind("", script_name="/").build(endpoint, values)
    if anchor is not None:
        path += "#" + quote(str(anchor), safe="%!#$&'()*+,/:;=?@")
    return path


def absolute_url(endpoint: str, **values: object) -> str:
    """The public address of `endpoint` with `values`: `base_url()` + its path.

    >>> absolute_url("verify.certificate", code="abc")  # doctest: +SKIP
    'https://academy.example.org/verify/abc'
    """
    return base_url() + path_for(endpoint, **values)
