"""A member's learning: enrolment, lessons, quizzes and progress.

Everything a page, the cohorts, certificates and reports need goes through
these functions; they flush and the caller commits. Import the package and
call `learning.enrol(...)`, `learning.progress_for_members(...)` and so on.
"""

from academy.services.learning.enrolment import (
    active_enrolment,
    completed_course_slugs,
    enrol,
    enrolment_for,
    leave,
    missing_prerequisites,
)
from academy.services.learning.progress import (
    ENROLMENT_FACTS,
    CourseProgress,
    EnrolmentFacts,
    MemberProgress,
    ModuleProgress,
    QuizStatus,
    complete_lesson,
    course_progress,
    course_tree,
    course_trees,
    progress_for_members,
    progress_in_courses,
    refresh_completion,
)
from academy.services.learning.quizzes import (
    AlreadySubmitted,
    InvalidAnswers,
    ReviewItem,
    ReviewOption,
    answers_revealed,
    attempt_by_number,
    attempts_for,
    mark_answer,
    open_attempt,
    option_value,
    public_questions,
    quiz_status,
    review,
    start_attempt,
    submit_attempt,
)

__all__ = [
    "AlreadySubmitted",
    "InvalidAnswers",
    "ReviewItem",
    "ReviewOption",
    "answers_revealed",
    "attempt_by_number",
    "attempts_for",
    "mark_answer",
    "open_attempt",
    "option_value",
    "public_questions",
    "quiz_status",
    "review",
    "start_attempt",
    "submit_attempt",
    "ENROLMENT_FACTS",
    "CourseProgress",
    "EnrolmentFacts",
    "MemberProgress",
    "ModuleProgress",
    "QuizStatus",
    "active_enrolment",
    "complete_lesson",
    "completed_course_slugs",
    "course_tree",
    "course_trees",
    "course_progress",
    "enrol",
    "enrolment_for",
    "leave",
    "missing_prerequisites",
    "progress_for_members",
    "progress_in_courses",
    "refresh_completion",
]
