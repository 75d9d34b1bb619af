"""All models, imported here so that Alembic and the app see every table."""

from academy.models.audit import AuditEvent  # noqa: F401
from academy.models.certificates import (  # noqa: F401
    Certificate,
    CertificateBatch,
    CertificateNumber,
    TrainerLineage,
    TrainerPromotion,
)
from academy.models.cohorts import (  # noqa: F401
    Announcement,
    Attendance,
    Cohort,
    CohortInvite,
    CohortMember,
    CohortSession,
    CohortTrainer,
    CourseEvaluation,
    SessionFeedback,
    SessionReminder,
    WaitingPlace,
)
from academy.models.content import (  # noqa: F401
    Course,
    CurriculumVersion,
    Lesson,
    Module,
    Question,
    Quiz,
)
from academy.models.equality import (  # noqa: F401
    EqualityAnswer,
    EqualityLink,
    EqualityProfile,
    EqualityQuestion,
)
from academy.models.learning import Enrolment, LessonCompletion, QuizAttempt  # noqa: F401
from academy.models.mail import MailFailure  # noqa: F401
from academy.models.people import (  # noqa: F401
    Academy,
    AcademyRole,
    Role,
    User,
    UserRole,
    within_academies,
)
from academy.models.privacy import (  # noqa: F401
    AccessLogEntry,
    DataRequest,
    Erasure,
    PrivacySetting,
)
from academy.models.security import SecurityEvent  # noqa: F401
