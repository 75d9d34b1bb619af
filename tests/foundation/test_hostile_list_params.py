"""No query string breaks a page (issues 18 and 23): every GET route, walked from the URL
map as each kind of person, with hostile paging, sorting and filtering parameters,
answers 400 or a page, never a 500.

tests/foundation/test_paging.py checks what each paged list answers exactly; this walk
makes sure that a list added later, or a parameter read somewhere new, is covered
too. Routes are requested with the arguments the access matrix uses, and the cohort
table (the list sorted by column) with a real cohort.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.foundation.test_paging import people  # noqa: F401 - the fixture, shared

HUGE = "1" + "0" * 20  # 10**20
HOSTILE = [
    {
        "page": HUGE,
        "trainers": HUGE,
        "sort": "evil'--",
        "dir": "sideways",
        "academy": HUGE,
        "course": "-" + HUGE,
        "cohort": "abc",
        "attempts": "all'; DROP TABLE users",
    },
    {
        "page": "-1",
        "trainers": "1.5",
        "sort": "",
        "dir": "",
        "academy": "1.5",
        "course": "\x00",
        "cohort": "-" + HUGE,
        "q": "\x00 %_ \\",
        "kind": "\x00",
        "status": "\x00",
    },
    {"page": "abc", "sort": "name" * 300, "q": "x" * 5000, "status": "no-such-status"},
]


def _get_routes(app, cohort_id: int):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name].__class__.__name__
            if name == "cohort_id":
                values[name] = cohort_id
            else:
                values[name] = 999_999 if converter == "IntegerConverter" else "no-such-thing"
        yield rule.endpoint, rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("who", ["member", "trainer", "staff", "admin"])
@pytest.mark.parametrize("hostile", range(len(HOSTILE)))
def test_no_hostile_query_string_makes_a_500(
    app,
    client,
    login,
    make_user,
    people,  # noqa: F811 - the fixture imported above
    who,
    hostile,
):
    login(client, make_user() if who == "member" else people[who])
    query = urlencode(HOSTILE[hostile])
    failures = []
    walked = 0
    for endpoint, url in _get_routes(app, people["cohort"].id):
        response = client.get(f"{url}?{query}")
        walked += 1
        if response.status_code >= 500:
            failures.append((endpoint, response.status_code))
    assert walked > 20
    assert failures == []


def test_a_nul_character_is_refused_with_a_reason_and_changes_nothing(client, login, make_user):
    from academy.extensions import db
    from academy.models import User

    staff = make_user(roles=("staff",), name="Before Change")
    login(client, staff)
    response = client.get("/staff/certificates?q=%00")
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.get_data(as_text=True)
    response = client.post("/account/details", data={"display_name": "After\x00Change"})
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, staff.id).display_name == "Before Change"
    # The same form without it goes through: it was the NUL that was refused.
    response = client.post("/account/details", data={"display_name": "After Change"})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(User, staff.id).display_name == "After Change"
