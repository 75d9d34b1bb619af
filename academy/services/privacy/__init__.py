"""Members' data rights: export, correction, erasure; data requests; retention.

Import the package and call `privacy.export_archive(user)`,
`privacy.erase_account(user)`, `privacy.extend_request(...)` and so on.
Modules, each importing only those above it:

    registry        every table that points at a person, and what the row is to them
    data_requests   requests, their one-month deadline and its single extension
    export          everything held about a member, as JSON and their certificate PDFs
    correction      a member corrects their name and e-mail address
    erasure         erase an account, keeping anonymous rows where counts depend on them
    retention       anonymise accounts unused beyond the period; drop unconfirmed ones
"""

from academy.services import ServiceError
from academy.services.privacy.correction import (
    confirm_email_change,
    correct_details,
    request_email_change,
)
from academy.services.privacy.data_requests import (
    add_months,
    add_one_month,
    can_extend,
    complete_request,
    extend_request,
    extended_due_on,
    in_members_words,
    open_request,
    requests_of,
)
from academy.services.privacy.erasure import erase_account
from academy.services.privacy.export import export_archive, export_data, record_export
from academy.services.privacy.registry import ACTOR, OWNER, USER_REFERENCES, user_references
from academy.services.privacy.retention import (
    DEFAULT_RETENTION_DAYS,
    UNCONFIRMED_DAYS,
    retention_days,
    retention_preview,
    run_retention,
    set_retention_days,
)

__all__ = [
    "ACTOR",
    "DEFAULT_RETENTION_DAYS",
    "OWNER",
    "UNCONFIRMED_DAYS",
    "USER_REFERENCES",
    "ServiceError",
    "add_months",
    "add_one_month",
    "can_extend",
    "complete_request",
    "confirm_email_change",
    "correct_details",
    "erase_account",
    "export_archive",
    "export_data",
    "extend_request",
    "extended_due_on",
    "in_members_words",
    "open_request",
    "record_export",
    "request_email_change",
    "requests_of",
    "retention_days",
    "retention_preview",
    "run_retention",
    "set_retention_days",
    "user_references",
]
