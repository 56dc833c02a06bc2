"""Every area's models, imported together so the metadata is complete."""

from portal.accounts.history import AccessChange  # noqa: F401
from portal.accounts.models import (  # noqa: F401
    AuditEvent,
    PortalUser,
    RoleAssignment,
    UserSession,
)
from portal.accounts.requests import AccountRequest  # noqa: F401
from portal.accounts.training import (  # noqa: F401
    TrainingAttendance,
    TrainingSession,
)
from portal.attendance.models import (  # noqa: F401
    Absence,
    AttendanceRun,
    AttendanceTemplate,
    TtsClip,
)
from portal.contacts.models import ContactProblem  # noqa: F401
from portal.delivery.models import Attempt, Delivery, OptOut  # noqa: F401
from portal.directory.models import (  # noqa: F401
    Building,
    ContactPoint,
    Guardian,
    GuardianLink,
    ImportRun,
    StaffMember,
    Student,
)
from portal.district_settings import DistrictSetting  # noqa: F401
from portal.messaging.models import (  # noqa: F401
    Approval,
    Message,
    MessageVariant,
    NoticeRecord,
    Recording,
)
