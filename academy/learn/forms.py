"""Forms of the learning pages. Most are a button: the form carries the CSRF token."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """Enrol, leave, mark a lesson complete, start an attempt: a POST with nothing to fill in."""


class AnswersForm(FlaskForm):
    """A quiz attempt. Its questions differ per attempt (drawn, shuffled), so the answers
    are read as `q-<question key>` fields and checked by the service against the
    attempt's own snapshot; the form itself guards against cross-site posts."""

    FIELD_PREFIX = "q-"
