"""Every route declares who may use it, and the app enforces it for every role.

The matrix is built from the app's URL map: a new route without an access
rule fails here, and every route is requested as every kind of person.
"""

import pytest

from academy.access import PUBLIC, SIGNED_IN, access_rule_of

ROLES = ("anonymous", "member", "trainer", "staff", "admin")
# Endpoints that take no part in access control.
EXEMPT = {"static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        view = app.view_functions[rule.endpoint]
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name].__class__.__name__
            values[name] = 999_999 if converter == "IntegerConverter" else "no-such-thing"
        url = rule.build(values, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        yield rule.endpoint, url, method, access_rule_of(view)


def test_every_route_declares_who_may_use_it(app):
    missing = [endpoint for endpoint, _url, _method, rule in _routes(app) if rule is None]
    assert missing == [], f"routes without an access rule: {missing}"


@pytest.fixture
def people(make_user):
    return {
        "member": make_user(),
        "trainer": make_user(roles=("trainer",)),
        "staff": make_user(roles=("staff",)),
        "admin": make_user(roles=("admin",)),
    }


def _allowed(rule, role: str) -> bool:
    if rule == PUBLIC:
        return True
    if role == "anonymous":
        return False
    if rule == SIGNED_IN:
        return True
    return role in rule


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_what_it_should_and_gets_403_elsewhere(app, people, login, role):
    checked = 0
    for endpoint, url, method, rule in _routes(app):
        client = app.test_client()
        if role != "anonymous":
            login(client, people[role])
        response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
        allowed = _allowed(rule, role)
        if allowed:
            assert response.status_code != 403, (endpoint, role)
            redirected_to_login = response.status_code == 302 and "/login" in response.location
            assert not (redirected_to_login and rule != PUBLIC), (endpoint, role)
        elif role == "anonymous":
            assert response.status_code == 302, (endpoint, response.status_code)
            assert "/login?next=" in response.location, endpoint
        else:
            assert response.status_code == 403, (endpoint, role, response.status_code)
        checked += 1
    assert checked > 5
