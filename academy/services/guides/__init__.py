"""Facilitators' guides, printable packs and observed teaching practice.

Import the package and call `guides.may_read_guides(...)`, `guides.session_pack(...)`,
`guides.record_observation(...)` and so on. Modules, each importing only those above it:

    access          who may read guides and print packs
    reading         finding a module's guide, a course's guides, which modules have one
    packs           session packs and member workbooks, cached by content version
    observations    practice sessions observed against the rubric
"""

from academy.services.guides.access import (
    guide_course_ids,
    is_new_trainer,
    may_print_workbook,
    may_read_guides,
)
from academy.services.guides.observations import (
    latest_observations,
    observations_of,
    passed_observation,
    record_observation,
    rubric_of,
)
from academy.services.guides.packs import session_pack, warm_session_packs, workbook
from academy.services.guides.reading import (
    current_course,
    guide_of,
    guided_module_ids,
    guides_of_courses,
    modules_by_id,
)

__all__ = [
    "current_course",
    "guide_course_ids",
    "guide_of",
    "guided_module_ids",
    "guides_of_courses",
    "is_new_trainer",
    "latest_observations",
    "may_print_workbook",
    "may_read_guides",
    "modules_by_id",
    "observations_of",
    "passed_observation",
    "record_observation",
    "rubric_of",
    "session_pack",
    "warm_session_packs",
    "workbook",
]
