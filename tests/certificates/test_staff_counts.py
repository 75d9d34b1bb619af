"""The staff home page counts who is waiting without listing them, up to a cap."""

from __future__ import annotations

from academy.services import certificates as service
from tests.certificates.conftest import complete


def test_waiting_members_are_counted_up_to_the_cap(app, staff, make_user, count_queries):
    for n in range(3):
        complete(make_user(name=f"Finished {n}"))
    listed = len(service.eligible_members(staff))
    assert listed >= 3
    assert service.count_eligible(staff, cap=100) == listed
    assert service.count_eligible(staff, cap=2) == 2
    # A fixed number of queries whatever the number waiting.
    with count_queries() as queries:
        service.count_eligible(staff, cap=100)
    assert len(queries) <= 2


def test_the_home_page_says_how_many_are_waiting(client, login, staff, make_user):
    for n in range(2):
        complete(make_user(name=f"Waiting {n}"))
    login(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert "2 members are waiting for a certificate" in page
