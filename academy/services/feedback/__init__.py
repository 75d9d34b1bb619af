"""What members say about the training: ratings of the sessions they attended and a
short evaluation of a course they completed in a cohort.

Modules, each importing only those above it:

    answers     giving, changing and erasing one's own answers (and who may)
    results     aggregates for trainers and staff, suppressed under MIN_ANSWERS
"""

from academy.services.feedback.answers import (
    EVALUATION_QUESTIONS,
    SESSION_QUESTIONS,
    answers_of,
    erase_evaluation,
    erase_feedback,
    evaluate_course,
    evaluation_problem,
    feedback_problem,
    give_feedback,
    sessions_to_rate,
    update_feedback,
)
from academy.services.feedback.results import (
    MIN_ANSWERS,
    cohort_results,
    staff_results,
)

__all__ = [
    "EVALUATION_QUESTIONS",
    "MIN_ANSWERS",
    "SESSION_QUESTIONS",
    "answers_of",
    "cohort_results",
    "erase_evaluation",
    "erase_feedback",
    "evaluate_course",
    "evaluation_problem",
    "feedback_problem",
    "give_feedback",
    "sessions_to_rate",
    "staff_results",
    "update_feedback",
]
