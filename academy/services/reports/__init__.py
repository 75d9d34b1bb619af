"""Academy reports: members enrolled and active, completions, certificates, trainers,
the training cascade and equality of access, for one academy or the whole country.

Import the package and call `reports.summary(scope)`, `reports.cascade(scope)`,
`reports.equality_report(scope)` and so on; the SVG charts are in
`reports.charts`. Modules, each importing only those above it:

    tables, scope          a report's table; what a scope covers and who reads it
    figures                the dashboard: headline counts, by month, course, cohort, trainer
    training_cascade       who trained whom, and the members trained down the line
    equality               equality of access, with small counts suppressed
    charts                 inline SVG charts of the above
"""

from academy.services.reports.equality import COLUMNS as EQUALITY_COLUMNS
from academy.services.reports.equality import equality_report
from academy.services.reports.figures import (
    ACTIVE_DAYS,
    by_cohort,
    by_course,
    by_trainer,
    monthly,
    summary,
)
from academy.services.reports.scope import Scope, can_report_on, scope_by_slug, scopes_for
from academy.services.reports.training_cascade import cascade, cascade_table

__all__ = [
    "ACTIVE_DAYS",
    "EQUALITY_COLUMNS",
    "Scope",
    "by_cohort",
    "by_course",
    "by_trainer",
    "can_report_on",
    "cascade",
    "cascade_table",
    "equality_report",
    "monthly",
    "scope_by_slug",
    "scopes_for",
    "summary",
]
