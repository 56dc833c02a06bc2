"""The access rule every route must carry, one module per area.

Each module defines `ENDPOINTS = {"blueprint.view": "capability" | "public"}`
and, when it has routes exempt from CSRF (provider callbacks that check a
signature instead), `CSRF_EXEMPT = {"blueprint.view": "why"}`.
`tests/test_access_matrix.py` joins them and fails on any route of
`app.url_map` that no module names, so no route ships without a rule.
"""

import importlib
import pkgutil


def all_endpoints() -> dict[str, str]:
    joined: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for endpoint, rule in module.ENDPOINTS.items():
            assert endpoint not in joined, f"{endpoint} is named twice"
            joined[endpoint] = rule
    return joined


def all_csrf_exempt() -> dict[str, str]:
    """Every route the areas declare exempt from CSRF, with the reason."""
    joined: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        joined.update(getattr(module, "CSRF_EXEMPT", {}))
    return joined
