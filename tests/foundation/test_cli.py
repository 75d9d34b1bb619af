import re

import pyotp

from academy.services import accounts


def test_seed_demo_prints_an_account_per_role_that_can_sign_in(app, runner):
    result = runner.invoke(args=["academy", "seed-demo"])
    assert result.exit_code == 0, result.output
    logins = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)", result.output, re.MULTILINE)
    assert {role for role, _, _ in logins} == {"member", "trainer", "staff", "admin"}
    # Staff and admins have two-step sign-in: the key and a recovery code are printed.
    second = re.findall(
        r"two-step sign-in key: ([A-Z2-7 ]+) \(.*recovery code: (\S+)", result.output
    )
    assert len(second) == 2
    for (role, email, password), factor in zip(logins, [None, None, *second], strict=True):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": password})
        if factor is None:
            assert response.status_code == 302, (role, response.get_data(as_text=True)[:300])
        else:
            key, recovery = factor
            code = recovery if role == "admin" else pyotp.TOTP(key.replace(" ", "")).now()
            response = client.post("/login/code", data={"code": code})
            assert response.status_code == 302, role
        assert role in accounts.find_user_by_email(email).roles


def test_seed_demo_is_refused_in_production(app, runner):
    app.config["ACADEMY_ENV"] = "production"
    result = runner.invoke(args=["academy", "seed-demo"])
    assert result.exit_code != 0
    assert "never created in production" in result.output


def test_create_user_with_roles(runner):
    result = runner.invoke(
        args=[
            "academy",
            "create-user",
            "--email",
            "Staff@Example.org",
            "--name",
            "Sam Staff",
            "--role",
            "staff",
            "--academy",
            "london",
            "--password",
            "a good long passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user_by_email("staff@example.org")
    assert user.has_role("staff")
    assert {link.academy.slug for link in user.academy_roles} == {"london"}


def test_create_user_refuses_a_weak_password_and_creates_nothing(runner):
    result = runner.invoke(
        args=[
            "academy",
            "create-user",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--password",
            "password",
        ]
    )
    assert result.exit_code != 0
    assert "too common" in result.output
    assert accounts.find_user_by_email("x@example.org") is None
