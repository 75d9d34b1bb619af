"""Steps every browser journey shares."""

import time

import pyotp

from tests.conftest import PASSWORD, TOTP_SECRET, axe_violations

PHONE_WIDTH = 360

# The last time step each account's code was typed for: a code works once, so a journey
# that signs in again within 30 seconds types the next step's code (or waits for one).
_used_steps: dict[str, int] = {}


def authenticator_code(account: str, secret: str = TOTP_SECRET) -> str:
    """What the person's authenticator app shows: a code this account has not used yet."""
    while True:
        now = int(time.time() // 30)
        step = max(now - 1, _used_steps.get(account, -1) + 1)
        if step <= now + 1:
            _used_steps[account] = step
            return pyotp.TOTP(secret).generate_otp(step)
        time.sleep(1)


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would (with the code, for two-step sign-in)."""
    page.goto(base_url + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    signed_in = page.get_by_role("button", name="Sign out")
    second_step = page.get_by_role("heading", name="Two-step sign-in")
    signed_in.or_(second_step).first.wait_for()
    if second_step.is_visible():
        page.get_by_label("Code").fill(authenticator_code(base_url + email))
        page.get_by_role("button", name="Continue").click()
    signed_in.wait_for()


def assert_fits_a_phone(page) -> None:
    page.wait_for_load_state("load")  # never measure a document that is being replaced
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, (page.url, width)


def assert_phone_ready(page) -> None:
    """Every page type: nothing wider than the phone and no axe-core violations."""
    assert_fits_a_phone(page)
    assert axe_violations(page) == [], page.url
