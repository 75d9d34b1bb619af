import re


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


def test_only_the_page_own_entry_is_marked_current(client, make_user, login):
    login(client, make_user())
    assert _current(client.get("/courses").get_data(as_text=True)) == ["Courses"]
    assert _current(client.get("/dashboard").get_data(as_text=True)) == ["My learning"]


def test_anonymous_visitors_see_sign_in_not_member_pages(client):
    html = client.get("/courses").get_data(as_text=True)
    assert "Sign in" in html
    assert "My learning" not in html
