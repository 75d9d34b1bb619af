"""Export holds all of a member's data and nobody else's; erasure leaves nothing personal.

Both walk the schema itself (db.metadata), so a table added later that points at
a person, or holds their e-mail or name, fails here until it is handled.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import CertificateFile, EqualityAnswer, EqualityProfile, Erasure, User
from academy.services import certificates, learning, privacy
from academy.services.certificates import pdf_bytes
from academy.services.privacy import ACTOR, OWNER, USER_REFERENCES, user_references
from tests.conftest import PASSWORD, WrittenOrder
from tests.learn.conftest import responses, wrong
from tests.privacy.conftest import MEMBER_EMAIL, MEMBER_NAME, OTHER_EMAIL, OTHER_NAME


def _rows_pointing_at(user_id: int, kind: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, column in user_references():
        if USER_REFERENCES[(table.name, column.name)] != kind:
            continue
        n = db.session.scalar(select(sa.func.count()).select_from(table).where(column == user_id))
        counts[f"{table.name}.{column.name}"] = n
    return counts


def test_every_reference_to_a_person_is_covered_by_export_and_erasure(app):
    found = {(table.name, column.name) for table, column in user_references()}
    missing = sorted(found - set(USER_REFERENCES))
    assert missing == [], f"add these to privacy.USER_REFERENCES (owner or actor): {missing}"
    stale = sorted(set(USER_REFERENCES) - found)
    assert stale == [], f"no longer in the schema: {stale}"
    assert set(USER_REFERENCES.values()) == {OWNER, ACTOR}


def test_the_world_puts_the_member_in_every_table_that_can_point_at_a_person(world):
    # Guards the two tests below: a new table left out of the fixture fails here.
    counts = _rows_pointing_at(world.member.id, OWNER)
    counts.update(_rows_pointing_at(world.member.id, ACTOR))
    # Only erasure itself writes this one.
    counts.pop("erasures.user_id")
    empty = sorted(name for name, n in counts.items() if n == 0)
    assert empty == [], f"the privacy fixture puts no row in: {empty}"


def test_export_contains_every_row_about_the_member(world):
    data = privacy.export_data(world.member)
    assert data["account"]["email"] == MEMBER_EMAIL
    assert data["account"]["display_name"] == MEMBER_NAME
    assert "password_hash" not in data["account"]
    assert "session_version" not in data["account"]
    for table, column in user_references():
        kind = USER_REFERENCES[(table.name, column.name)]
        expected = db.session.scalar(
            select(sa.func.count()).select_from(table).where(column == world.member.id)
        )
        section = table.name if kind == OWNER else f"{table.name} (as {column.name})"
        assert len(data["records"].get(section, [])) == expected, section
    answers = {item["question"]: item["answer"] for item in data["equality_monitoring"]}
    assert answers["What is your gender?"] == "Man"
    assert answers["What is your ethnic group?"] == "Mixed or multiple ethnic groups"
    # The certificate is there, without its verification secret.
    [certificate] = data["records"]["certificates"]
    assert certificate["number"] == world.certificate.number
    assert "code_hash" not in certificate


def test_the_export_gives_no_answer_key_before_the_review_setting_does(world):
    """Issue 18: a failed attempt under `review: after-pass` is exported with the member's
    own answers, marks and dates, and without a single correct flag or word of feedback."""
    [attempt] = privacy.export_data(world.member)["records"]["quiz_attempts"]
    assert (attempt["course"], attempt["quiz"], attempt["attempt"]) == (
        "Organising basics",
        "Listening campaigns",
        1,
    )
    assert (attempt["score_percent"], attempt["passed"], attempt["answers_shown"]) == (
        0,
        False,
        False,
    )
    assert attempt["started_at"]
    assert attempt["submitted_at"]
    first, multiple, short = attempt["questions"]
    assert first["question"] == "What comes first in a listening campaign?"
    assert [(o["option"], o["you_chose"]) for o in first["options"]][0] == (
        "Printing a leaflet with our position",
        True,
    )
    assert short["your_answer"] == f"I am {MEMBER_NAME}"
    assert [q["you_were_right"] for q in attempt["questions"]] == [False, False, False]
    text = json.dumps(attempt).lower()
    for secret in (
        '"correct"',
        "feedback",
        "accepted_answers",
        "we listen before we decide",  # the right option's feedback
        "not yet: we decide what to say",  # the chosen option's feedback
        "reporting back keeps the promise",  # the question's feedback
        "report back",  # the accepted answer
    ):
        assert secret not in text, secret
    # Nothing of the stored snapshot leaks through under another name.
    assert "snapshot" not in json.dumps(privacy.export_data(world.member)).lower()


def test_the_export_gives_the_answers_once_the_review_setting_does(world):
    """Once the member has used every attempt, the review shows the answers: so does the
    export."""
    quiz = world.course.modules[0].quiz
    for _ in range(quiz.max_attempts - 1):
        attempt = learning.start_attempt(world.member, quiz, rng=WrittenOrder())
        learning.submit_attempt(world.member, attempt, responses(attempt, wrong(attempt)))
    attempts = privacy.export_data(world.member)["records"]["quiz_attempts"]
    assert [a["answers_shown"] for a in attempts] == [True] * quiz.max_attempts
    first = attempts[0]["questions"][0]
    assert [o["correct"] for o in first["options"]] == [False, True, False]
    assert attempts[0]["questions"][2]["accepted_answers"] == ["report back", "reporting back"]


def test_export_archive_holds_the_json_and_the_certificate_pdf(world, client, login):
    login(client, world.member)
    response = client.post("/account/export")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names == ["data.json", f"certificates/{world.certificate.number}.pdf"]
    stored = pdf_bytes(world.certificate)
    assert archive.read(f"certificates/{world.certificate.number}.pdf") == stored
    assert stored.startswith(b"%PDF")


def test_export_contains_nobody_elses_data(world):
    text = json.dumps(privacy.export_data(world.member)).lower()
    for value in (OTHER_EMAIL, OTHER_NAME, "trinity tutor", "trinity.tutor@example.org"):
        assert value.lower() not in text, value
    assert "woman" not in text  # the other member's equality answer
    # The staff member issued the member's certificate, looked at their page and handled
    # their request: their own export says so, but never who the member is.
    staff_text = json.dumps(privacy.export_data(world.staff)).lower()
    assert "certificates (as issued_by_id)" in staff_text
    assert "access_log (as actor_id)" in staff_text
    for value in (MEMBER_EMAIL, MEMBER_NAME, OTHER_EMAIL, OTHER_NAME):
        assert value.lower() not in staff_text, value
    # The member signed off, recorded attendance of and issued to the other member.
    member_text = json.dumps(privacy.export_data(world.member)).lower()
    assert "certificates (as issued_by_id)" in member_text


def _personal_values_found(values: list[str]) -> list[str]:
    """Every (table.column: value) in the whole database that holds one of `values`."""
    found = []
    lowered = [v.lower() for v in values]
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for name, value in row.items():
                if value is None:
                    continue
                text = (json.dumps(value) if isinstance(value, dict | list) else str(value)).lower()
                for needle in lowered:
                    if needle in text:
                        found.append(f"{table.name}.{name}: {needle}")
    return found


def test_erasure_leaves_nothing_personal_in_any_table(world, client, login):
    member_id = world.member.id
    files = select(sa.func.count()).where(CertificateFile.certificate_id == world.certificate.id)
    assert db.session.scalar(files) == 1
    personal = [MEMBER_EMAIL, MEMBER_NAME, world.profile_id, "quillfeather"]
    assert _personal_values_found(personal)  # the walk does find them before
    assert client.get(f"/verify/{world.certificate_code}.json").json["status"] == "valid"
    login(client, world.member)
    response = client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302

    assert _personal_values_found(personal) == []
    # The public verification page says the certificate is not found.
    response = client.get(f"/verify/{world.certificate_code}.json")
    assert (response.status_code, response.json) == (404, {"status": "not_found"})
    # The other member is untouched (and the walk would have seen them).
    assert _personal_values_found([OTHER_EMAIL, OTHER_NAME])
    assert db.session.scalar(select(sa.func.count()).select_from(EqualityProfile)) == 1
    assert (
        db.session.scalar(
            select(sa.func.count())
            .select_from(EqualityAnswer)
            .where(EqualityAnswer.profile_id == world.profile_id)
        )
        == 0
    )
    # The certificate's PDF is gone and its code finds nothing.
    assert db.session.scalar(files) == 0
    assert pdf_bytes(world.certificate) is None
    assert certificates.verify(world.certificate_code) is None
    # The account can never sign in again, and every session has ended.
    user = db.session.get(User, member_id)
    assert not user.is_active
    assert db.session.get(Erasure, member_id).reason == "request"
    assert client.get("/account/").status_code == 302
    # Rows the counts depend on are still there, pointing at the anonymous account.
    assert _rows_pointing_at(member_id, OWNER)["enrolments.user_id"] == 1
    assert _rows_pointing_at(member_id, OWNER)["certificates.user_id"] == 1
    assert _rows_pointing_at(member_id, OWNER)["cohort_members.user_id"] == 1


def test_erasing_twice_is_refused(world):
    privacy.erase_account(world.member)
    db.session.commit()
    with pytest.raises(privacy.ServiceError, match="already been erased"):
        privacy.erase_account(world.member)
