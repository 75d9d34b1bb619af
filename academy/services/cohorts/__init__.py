"""Cohorts: creating and running them, from invitation to sign-off.

Rules live here so that the web, the CLI and jobs share them. Functions flush and
record audit events; the caller commits once, and sends the e-mails they return
with `send_later` (they leave once the commit is done). Permissions for one cohort are on the model
(`cohort.can_manage(user)`); routes check them before calling.

Call the package for the everyday rules: `cohorts.create_cohort(...)`,
`cohorts.join(...)`, `cohorts.record_attendance(...)`, `cohorts.sign_off(...)` and
so on. The bigger pieces are used as modules: `cohorts.table` (the progress table
and its CSV), `cohorts.ics` (calendar files), `cohorts.importing` (CSV import),
`cohorts.signing_off` (signing off many members at once), `cohorts.summaries`
(the whole-cohort figures kept for a minute), `cohorts.listing` ("Find training"),
`cohorts.open_signup` (members signing themselves up), `cohorts.waiting` (waiting
lists and offers) and `cohorts.reminders` (the day-before e-mails).

One concern per module; they import each other in one direction only:

    mail, roster, sessions, summaries, ics, listing   nothing of the package
    waiting        <- mail
    reminders      <- ics
    editing        <- roster
    membership     <- mail, roster, waiting
    open_signup    <- mail, membership, roster, waiting
    importing      <- editing, mail, membership
    announcements  <- mail, roster
    attendance     <- sessions
    signing_off    <- attendance, roster
    table_rows     <- attendance, signing_off
    table_sql      <- sessions, table_rows
    table          <- attendance, summaries, table_rows, table_sql
"""

from academy.services import ServiceError
from academy.services.cohorts import ics, importing, signing_off, summaries, table
from academy.services.cohorts.announcements import (
    announce,
    announcement_messages,
    announcements_of,
)
from academy.services.cohorts.attendance import (
    attendance_for_session,
    attendance_summaries,
    record_attendance,
)
from academy.services.cohorts.editing import (
    CohortDetails,
    academies_for_new_cohort,
    create_cohort,
    offered_courses,
    trainers_in,
    update_cohort,
)
from academy.services.cohorts.mail import send_later, send_messages
from academy.services.cohorts.membership import (
    CODE_ALPHABET,
    add_existing_member,
    create_invite,
    find_invite,
    format_code,
    invite_by_email,
    invites_of,
    join,
    join_problem,
    leave_cohort,
    pending_personal_invites,
    remove_member,
    revoke_invite,
)
from academy.services.cohorts.roster import (
    cohorts_managed_by,
    cohorts_of_member,
    member_count,
    member_counts,
    members_of,
    membership_of,
)
from academy.services.cohorts.sessions import (
    SessionDetails,
    course_modules,
    schedule_session,
    sessions_of,
    upcoming_sessions_for,
    update_session,
)
from academy.services.cohorts.signing_off import sign_off, sign_off_problem, withdraw_sign_off

__all__ = [
    # modules
    "ics",
    "importing",
    "signing_off",
    "summaries",
    "table",
    # raised by every rule here
    "ServiceError",
    # creating and editing
    "CohortDetails",
    "academies_for_new_cohort",
    "create_cohort",
    "offered_courses",
    "trainers_in",
    "update_cohort",
    # who is in which cohort
    "cohorts_managed_by",
    "cohorts_of_member",
    "member_count",
    "member_counts",
    "members_of",
    "membership_of",
    # invitations, joining and leaving
    "CODE_ALPHABET",
    "add_existing_member",
    "create_invite",
    "find_invite",
    "format_code",
    "invite_by_email",
    "invites_of",
    "join",
    "join_problem",
    "leave_cohort",
    "pending_personal_invites",
    "remove_member",
    "revoke_invite",
    # sessions and attendance
    "SessionDetails",
    "attendance_for_session",
    "course_modules",
    "attendance_summaries",
    "record_attendance",
    "schedule_session",
    "sessions_of",
    "update_session",
    "upcoming_sessions_for",
    # sign-off
    "sign_off",
    "sign_off_problem",
    "withdraw_sign_off",
    # announcements
    "announce",
    "announcement_messages",
    "announcements_of",
    # e-mail (`send_messages` is the job `send_later` queues, by this path)
    "send_later",
    "send_messages",
]
