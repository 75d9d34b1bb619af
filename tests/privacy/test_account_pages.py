"""The account page: details, correction, equality questionnaire, export and deletion over HTTP."""

import io
import json
import zipfile

from sqlalchemy import select

from academy.extensions import db
from academy.models import DataRequest, EqualityAnswer, EqualityLink, EqualityProfile, User
from tests.conftest import PASSWORD


def test_account_page_shows_own_details(client, make_user, login):
    user = make_user(name="Ada Member", email="ada@example.org")
    login(client, user)
    page = client.get("/account/").get_data(as_text=True)
    assert "Ada Member" in page
    assert "ada@example.org" in page


def test_account_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/login" in response.location


def test_correcting_the_name_is_recorded_as_a_request(client, make_user, login):
    user = make_user(name="Ada Membr")
    login(client, user)
    response = client.post(
        "/account/details",
        data={"display_name": "  Ada   Member ", "show_name_on_verification": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Ada Member"
    assert user.show_name_on_verification is True
    request = db.session.scalar(select(DataRequest).where(DataRequest.user_id == user.id))
    assert request.kind == "correction"
    assert request.completed_at is not None


def test_blank_name_is_refused_and_nothing_changes(client, make_user, login):
    user = make_user(name="Ada Member")
    login(client, user)
    response = client.post("/account/details", data={"display_name": "   "})
    assert response.status_code == 200
    assert "Enter your name." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Ada Member"


def test_equality_answers_saved_changed_and_withdrawn(client, make_user, login):
    user = make_user()
    login(client, user)
    page = client.get("/account/equality").get_data(as_text=True)
    assert "Prefer not to say" in page
    response = client.post(
        "/account/equality", data={"q_gender": "woman", "q_ethnic_group": "black"}
    )
    assert response.status_code == 302
    link = db.session.get(EqualityLink, user.id)
    assert link is not None
    assert link.profile_id != str(user.id)
    answers = dict(
        db.session.execute(
            select(EqualityAnswer.question, EqualityAnswer.answer).where(
                EqualityAnswer.profile_id == link.profile_id
            )
        ).all()
    )
    assert answers == {"gender": "woman", "ethnic-group": "black"}
    # The form shows the member's own answers back to them.
    page = client.get("/account/equality").get_data(as_text=True)
    assert '<input checked id="q_gender-0" name="q_gender" type="radio" value="woman">' in page
    assert page.count("checked") == 2

    client.post("/account/equality", data={"q_gender": "prefer-not-to-say"})
    answers = dict(
        db.session.execute(
            select(EqualityAnswer.question, EqualityAnswer.answer).where(
                EqualityAnswer.profile_id == link.profile_id
            )
        ).all()
    )
    assert answers == {"gender": "prefer-not-to-say"}

    client.post("/account/equality/withdraw")
    assert db.session.get(EqualityLink, user.id) is None
    assert (
        db.session.scalar(select(EqualityProfile).where(EqualityProfile.id == link.profile_id))
        is None
    )
    assert db.session.scalars(select(EqualityAnswer)).all() == []


def test_equality_answer_outside_the_options_is_refused(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/account/equality", data={"q_gender": "robot"})
    assert response.status_code == 200
    assert db.session.get(EqualityLink, user.id) is None


def test_export_downloads_a_zip_with_json(client, make_user, login):
    user = make_user(name="Ada Member", email="ada@example.org")
    login(client, user)
    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "ada@example.org"
    assert "password_hash" not in data["account"]
    request = db.session.scalar(select(DataRequest).where(DataRequest.user_id == user.id))
    assert request.kind == "export"


def test_delete_needs_the_password_and_the_tick(client, make_user, login):
    user = make_user(email="keep@example.org")
    login(client, user)
    response = client.post("/account/delete", data={"password": "wrong", "understood": "y"})
    assert response.status_code == 200
    assert "Your password is not right." in response.get_data(as_text=True)
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.email == "keep@example.org"


def test_delete_erases_and_signs_out(client, make_user, login):
    user = make_user(email="gone@example.org", name="Gone Member")
    login(client, user)
    response = client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email != "gone@example.org"
    assert db.session.scalar(select(User).where(User.email == "gone@example.org")) is None
    # The session is over: the account page asks to sign in.
    assert client.get("/account/").status_code == 302


def _link(message) -> str:
    import re

    return re.search(r"http://academy\.test(/account/email/confirm/\S+)", message.body).group(1)


def test_changing_the_email_needs_the_link_sent_to_the_new_address(
    client, make_user, login, outbox
):
    user = make_user(email="old.address@example.org")
    login(client, user)
    response = client.post(
        "/account/email", data={"email": "New.Address@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old.address@example.org"  # not until the link is followed
    [message] = outbox
    assert message.to == ["new.address@example.org"]
    # Opening the link changes nothing: its page has a button, and the button changes it.
    page = client.get(_link(message))
    assert page.status_code == 200
    assert "Use this e-mail address" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "old.address@example.org"
    response = client.post(_link(message))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "new.address@example.org"
    assert outbox[-1].to == ["old.address@example.org"]  # the old address is told
    request = db.session.scalar(
        select(DataRequest).where(
            DataRequest.user_id == user.id, DataRequest.note == "e-mail address"
        )
    )
    assert request.kind == "correction"
    # The link works once, and the old sessions are over.
    used = client.post(_link(message))
    assert used.status_code == 400
    assert "already been used" in used.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_email_change_to_a_taken_address_reveals_nothing_and_changes_nothing(
    client, make_user, login, outbox
):
    make_user(email="taken@example.org")
    user = make_user(email="mine@example.org")
    login(client, user)
    response = client.post(
        "/account/email", data={"email": "taken@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302  # the same answer as for a free address
    [message] = outbox
    assert message.to == ["taken@example.org"]
    assert "/account/email/confirm/" not in message.body
    db.session.refresh(user)
    assert user.email == "mine@example.org"


def test_email_change_needs_the_password(client, make_user, login, outbox):
    user = make_user(email="mine@example.org")
    login(client, user)
    response = client.post("/account/email", data={"email": "new@example.org", "password": "x"})
    assert "Your password is not right." in response.get_data(as_text=True)
    assert outbox == []


def test_members_see_when_staff_looked_at_their_data(client, make_user, login):
    from academy.services.access_log import record_access

    member, admin = make_user(), make_user(roles=("admin",))
    page = login(client, member).get("/account/").get_data(as_text=True)
    assert "No staff member has looked at or downloaded your personal data" in page
    record_access(admin, member, "admin.member-page")
    record_access(admin, member, "data-export")
    db.session.commit()
    page = client.get("/account/").get_data(as_text=True)
    assert "An admin looked at your account" in page
    assert "An admin downloaded a copy of your data" in page
