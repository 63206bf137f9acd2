"""The Tornado application: every route in one table, services passed in through settings."""

from __future__ import annotations

from typing import Any

import tornado.web

from web.api import auth, health, imports, units, users
from web.base import NotFoundHandler
from web.services import Services

UNIT_ID = r"([a-z0-9][a-z0-9_-]{1,63})"
USER_ID = r"([A-Za-z0-9_-]{1,64})"

ROUTES: list[tuple[str, type[tornado.web.RequestHandler]]] = [
    (r"/api/health", health.HealthHandler),
    (r"/api/login", auth.LoginHandler),
    (r"/api/logout", auth.LogoutHandler),
    (r"/api/me", auth.MeHandler),
    (r"/api/units", units.UnitsHandler),
    (rf"/api/units/{UNIT_ID}", units.UnitHandler),
    (rf"/api/units/{UNIT_ID}/children", units.ChildrenHandler),
    (rf"/api/units/{UNIT_ID}/subtree", units.SubtreeHandler),
    (rf"/api/units/{UNIT_ID}/ancestors", units.AncestorsHandler),
    (rf"/api/units/{UNIT_ID}/history", units.HistoryHandler),
    (rf"/api/units/{UNIT_ID}/move", units.MoveHandler),
    (rf"/api/units/{UNIT_ID}/merge", units.MergeHandler),
    (rf"/api/units/{UNIT_ID}/dissolve", units.DissolveHandler),
    (r"/api/users", users.UsersHandler),
    (rf"/api/users/{USER_ID}", users.UserHandler),
    (r"/api/import", imports.ImportHandler),
    (r"/api/.*", NotFoundHandler),
]


def make_app(services: Services, **extra: Any) -> tornado.web.Application:
    return tornado.web.Application(
        ROUTES,
        services=services,
        xsrf_cookies=False,  # CSRF is checked per session in BaseHandler.prepare
        compress_response=True,
        **extra,
    )
