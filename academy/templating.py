"""What every template may use, registered in one place (the app factory calls `init_app`).

`absolute_url(endpoint, ...)` is a global, for a link that is copied and shared
(invitations): it names the public address, not the request's host.
"""

from __future__ import annotations

from flask import Flask

from academy import links


def init_app(app: Flask) -> None:
    app.add_template_global(links.absolute_url, "absolute_url")
