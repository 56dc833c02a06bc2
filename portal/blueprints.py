"""Every blueprint the portal serves, in one list (each area adds its own)."""

from portal.accounts.people_views import bp as people_bp
from portal.accounts.requests_views import bp as account_requests_bp
from portal.accounts.views import bp as accounts_bp
from portal.delivery.views import bp as delivery_bp
from portal.main.views import bp as main_bp
from portal.messaging.views import bp as messaging_bp

BLUEPRINTS = [
    main_bp,
    accounts_bp,
    account_requests_bp,
    people_bp,
    messaging_bp,
    delivery_bp,
]
