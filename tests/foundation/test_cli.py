from academy.services import accounts


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
