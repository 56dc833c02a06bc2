"""Every blueprint the portal serves, in one list (each area adds its own)."""

from portal.accounts.people_views import bp as people_bp
from portal.accounts.requests_views import bp as account_requests_bp
from portal.accounts.views import bp as accounts_bp
from portal.attendance.views import bp as attendance_bp
from portal.contacts.views import bp as contacts_bp
from portal.delivery.views import bp as delivery_bp
from portal.directory.views import bp as directory_bp
from portal.governance.audit_views import bp as audit_bp
from portal.governance.ops import bp as ops_bp
from portal.governance.settings_views import bp as settings_bp
from portal.governance.training_views import bp as training_bp
from portal.main.views import bp as main_bp
from portal.messaging.views import bp as messaging_bp

BLUEPRINTS = [
    main_bp,
    accounts_bp,
    account_requests_bp,
    people_bp,
    training_bp,
    audit_bp,
    settings_bp,
    ops_bp,
    delivery_bp,
    directory_bp,
    contacts_bp,
    messaging_bp,
    attendance_bp,
]
