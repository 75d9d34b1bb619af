"""Steps every browser journey shares."""

from tests.conftest import PASSWORD, axe_violations

PHONE_WIDTH = 360


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would, and wait until it took."""
    page.goto(base_url + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def assert_fits_a_phone(page) -> None:
    page.wait_for_load_state("load")  # never measure a document that is being replaced
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, (page.url, width)


def assert_phone_ready(page) -> None:
    """Every page type: nothing wider than the phone and no axe-core violations."""
    assert_fits_a_phone(page)
    assert axe_violations(page) == [], page.url
