"""Domain operations with no HTTP in them, shared by the web, the CLI and jobs.

Services validate, change objects, `flush()`, record an audit event where the
action matters, and return. The caller (a request, a CLI command, a job)
commits once (views and commands through `academy.database.unit_of_work`). E-mail
and jobs they queue leave only once that commit is done.
"""


class ServiceError(Exception):
    """A rule was broken; the message is safe and meant for the person acting."""
