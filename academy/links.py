"""Absolute links to the site, for everything that leaves it: e-mails, the QR code
and link on a certificate, Open Badges and their status lists, calendar files, the
invitation links trainers copy.

Such a link is opened later and elsewhere, so it is built from the site's public
address (`ACADEMY_BASE_URL`), never from the Host of the request that happened to
make it (which may be an internal name behind the proxy, or no request at all: a
job, the CLI). The path comes from the endpoint, as `url_for` builds it, so no
path prefix is written out anywhere else.

Some of these links are signed or stored (a badge's issuer and status list, the
QR code printed on a PDF): they must keep reading exactly as they do, so the
address is the configured base with its trailing slash removed, followed by the
route's path, character for character what it has always been.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app


def base_url() -> str:
    """The site's public address, without a trailing slash.

    The one place that decides it: to make the development default follow the
    host and port actually served, change this function and nothing else.
    """
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/")


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
