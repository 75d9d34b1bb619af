"""Certificates: who is waiting for one, issuing (one or a cohort's batch),
re-issuing, renewing, revoking, verifying, and telling holders.

Import the package and call `certificates.issue(...)`,
`certificates.waiting_page(...)` and so on; they flush and the caller commits
(a batch's job commits per member). One concern per module:

    scope          who may act in which academy
    verification   what a code is, the link that checks it, the public answer
    pdfs           the PDF rendered at issue, stored, found again
    notices        the e-mails to holders (issued, revoked, about to expire)
    holder         the holder's own list, and their name choice
    eligibility    who is waiting: the rule, the lists and pages, the counts
    issuing        issue, re-issue, renew, revoke
    batches        a cohort's certificates, issued in the background
    queueing       a batch put on the job queue, or left waiting for it

Three more are imported by name, not through this facade
(`from academy.services.certificates import badges, badge_status, signing`):

    signing        the issuer of badges: its id, its Ed25519 key, VC-JWT signing
    badge_status   the Bitstring Status List each badge names
    badges         the holder's Open Badge credential, the issuer's profile

Imports go one way, left to right (a module imports only modules on its left):

    scope, verification, holder -> pdfs, notices, eligibility -> issuing -> batches -> queueing
    signing -> badge_status -> badges

The staff home page's counts, which count promotions as well as certificates,
live beside both packages in `academy.services.staff_counts`.
"""

from academy.services.certificates.batches import (
    batch_is_stalled,
    can_resume,
    resume_batch,
    run_batch,
    start_batch,
)
from academy.services.certificates.eligibility import (
    ACADEMY_IDS,
    CAP,
    VALID,
    check_eligible,
    count_eligible,
    counts_everywhere,
    eligible_members,
    waiting_page,
)
from academy.services.certificates.holder import certificates_of, set_show_name
from academy.services.certificates.issuing import (
    RENEW_WINDOW,
    AlreadyCertified,
    add_months,
    can_renew,
    current_certificate,
    issue,
    reissue,
    revoke,
)
from academy.services.certificates.notices import send_expiry_reminders
from academy.services.certificates.pdfs import pdf_path
from academy.services.certificates.queueing import queue_batch, start_waiting
from academy.services.certificates.scope import (
    NotAllowed,
    academies_of,
    can_download,
)
from academy.services.certificates.verification import hash_code, verify, verify_url

__all__ = [
    "ACADEMY_IDS",
    "CAP",
    "RENEW_WINDOW",
    "VALID",
    "AlreadyCertified",
    "NotAllowed",
    "academies_of",
    "add_months",
    "batch_is_stalled",
    "can_download",
    "can_renew",
    "can_resume",
    "certificates_of",
    "check_eligible",
    "count_eligible",
    "counts_everywhere",
    "current_certificate",
    "eligible_members",
    "hash_code",
    "issue",
    "pdf_path",
    "queue_batch",
    "reissue",
    "resume_batch",
    "revoke",
    "run_batch",
    "send_expiry_reminders",
    "start_waiting",
    "set_show_name",
    "start_batch",
    "verify",
    "verify_url",
    "waiting_page",
]
