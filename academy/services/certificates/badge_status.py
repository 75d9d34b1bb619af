"""Whether a shared Open Badge still stands: a revocation list relying parties can check.

A badge is a signed file the holder keeps; revoking the certificate behind it
cannot unsign it. Each badge therefore names, in `credentialStatus`, a bit in a
published list (W3C Bitstring Status List v1.0, purpose "revocation"): the bit
is 1 once the certificate is revoked or superseded by a re-issue. The list is
itself a credential signed with the issuer's key, at /verify/status/<n>, so a
relying party can trust it as it trusts the badge.

Certificate `id` gives the position: list `id // LIST_SIZE + 1`, bit
`id % LIST_SIZE`. Each list has the 131,072 bits the standard asks for as a
minimum, so that one position tells an onlooker nothing about how many
certificates there are. A list is built from the database (one query for the
certificates no longer standing in its range), kept for `BADGE_STATUS_SECONDS`,
and forgotten once a change of any of its certificates' status commits, so a
revocation shows on the next fetch.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from academy.extensions import db
from academy.formatting import iso_utc
from academy.links import absolute_url
from academy.models.certificates import Certificate, CertificateStatus
from academy.services import kept
from academy.services.certificates.signing import CONTEXT, issuer_id, sign
from academy.timeutil import utcnow

LIST_SIZE = 131_072  # bits: 16 KB, the least the standard allows
PURPOSE = "revocation"


def position(certificate_id: int) -> tuple[int, int]:
    """(list number, bit) of a certificate."""
    return certificate_id // LIST_SIZE + 1, certificate_id % LIST_SIZE


def list_url(number: int) -> str:
    """Where list `number` is published."""
    return absolute_url("verify.status_list", number=number)


def entry(certificate: Certificate) -> dict:
    """The badge's `credentialStatus`: where its bit is."""
    number, bit = position(certificate.id)
    return {
        "id": f"{list_url(number)}#{bit}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(bit),
        "statusListCredential": list_url(number),
    }


def encode(bits: Iterable[int]) -> str:
    """The standard's `encodedList`: the bitstring, first position in the leftmost bit,
    GZIP-compressed, base64url without padding, with the multibase prefix "u"."""
    data = bytearray(LIST_SIZE // 8)
    for bit in bits:
        data[bit // 8] |= 0x80 >> (bit % 8)
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def lists_in_use() -> int:
    """How many lists there are: enough for every certificate issued so far."""
    highest = db.session.scalar(select(func.max(Certificate.id)))
    return position(highest)[0] if highest else 0


def _no_longer_standing(number: int) -> list[int]:
    first = (number - 1) * LIST_SIZE
    return list(
        db.session.scalars(
            select(Certificate.id).where(
                Certificate.id >= first,
                Certificate.id < first + LIST_SIZE,
                Certificate.status != CertificateStatus.VALID,
            )
        )
    )


def status_list_credential(number: int) -> dict:
    """List `number` as an unsigned BitstringStatusListCredential."""
    url = list_url(number)
    seconds = current_app.config["BADGE_STATUS_SECONDS"]
    subject = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": PURPOSE,
        "encodedList": encode(bit for _, bit in map(position, _no_longer_standing(number))),
    }
    if seconds > 0:
        subject["ttl"] = seconds * 1000  # how long a relying party may keep it (ms)
    return {
        "@context": CONTEXT[:1],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": iso_utc(utcnow()),
        "credentialSubject": subject,
    }


def _key(number: int) -> str:
    return f"badge-status:v1:{number}"


def signed_status_list(number: int) -> str | None:
    """List `number` as a signed VC-JWT, or None when no certificate has a place in it."""
    token = kept.read(_key(number))
    if token is not None:
        return token
    if not 1 <= number <= lists_in_use():
        return None
    payload = status_list_credential(number)
    payload["iat"] = int(utcnow().timestamp())
    token = sign(payload)
    kept.write(_key(number), token, current_app.config["BADGE_STATUS_SECONDS"])
    return token


def _status_changed(certificate: Certificate) -> bool:
    return sa.inspect(certificate).attrs.status.history.has_changes()


def _changed_lists(session: Session) -> Iterator[str]:
    """The lists whose certificates' status this flush changes."""
    for instance in session.dirty:
        if isinstance(instance, Certificate) and _status_changed(instance):
            if instance.id is not None:
                yield _key(position(instance.id)[0])


kept.forget_after_commit("badge_status", _changed_lists)
