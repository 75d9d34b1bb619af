"""The main navigation: what each kind of person sees in the header."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

# (label, endpoint, who sees it: None for everyone, "signed-in", or a set of roles).
# Entries whose blueprint is not registered are left out.
NAV = (
    ("Courses", "learn.catalogue", None),
    ("Find training", "training.find", None),
    ("My learning", "learn.dashboard", "signed-in"),
    ("Cohorts", "cohorts.index", {"trainer", "staff", "admin"}),
    ("Staff", "staff.index", {"staff", "admin"}),
    ("Reports", "reports.index", {"staff", "admin"}),
    ("Admin", "admin.index", {"admin"}),
    ("Account", "account.index", "signed-in"),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _visible(who, roles: frozenset[str] | None) -> bool:
    if who is None:
        return True
    if roles is None:  # not signed in
        return False
    return who == "signed-in" or bool(roles.intersection(who))


def main_nav() -> list[NavItem]:
    """The header's entries for this person on this page.

    The same for everyone with the same roles on the same page, so it is worked
    out once per process for each such pair (it was a dozen URL builds per page).
    """
    roles = frozenset(current_user.roles) if current_user.is_authenticated else None
    key = (roles, request.endpoint or "", request.script_root)
    cache = current_app.extensions.setdefault("academy_nav", {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = _build_nav(roles, key[1])
    return found


def _build_nav(roles: frozenset[str] | None, here: str) -> list[NavItem]:
    views = current_app.view_functions
    shown = [
        (label, endpoint)
        for label, endpoint, who in NAV
        if endpoint in views and _visible(who, roles)
    ]
    # The page's own entry is current; otherwise the first entry of its blueprint
    # (a lesson page belongs under "Courses", a cohort page under "Cohorts").
    current = (
        here
        if any(endpoint == here for _, endpoint in shown)
        else next(
            (
                endpoint
                for _, endpoint in shown
                if here.startswith(endpoint.partition(".")[0] + ".")
            ),
            None,
        )
    )
    return [NavItem(label, url_for(endpoint), endpoint == current) for label, endpoint in shown]


def home_link() -> NavItem:
    """Where a signed-in person goes from the home page."""
    if "learn.dashboard" in current_app.view_functions:
        return NavItem("Go to my learning", url_for("learn.dashboard"), False)
    return NavItem("Change your password", url_for("auth.change_password"), False)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_global(main_nav)
    app.add_template_global(home_link)
