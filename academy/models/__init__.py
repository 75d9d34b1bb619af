"""All models, imported here so that Alembic and the app see every table."""

from academy.models.audit import AuditEvent  # noqa: F401
from academy.models.content import Course, Lesson, Module, Question, Quiz  # noqa: F401
from academy.models.learning import Enrolment, LessonCompletion, QuizAttempt  # noqa: F401
from academy.models.people import Academy, AcademyRole, Role, User, UserRole  # noqa: F401
