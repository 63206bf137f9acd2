"""Login, logout and "who am I": the session cookie for browsers, the same token as Bearer for phones."""

from __future__ import annotations

from web.authz import authenticated, public
from web.base import CSRF_COOKIE, SESSION_COOKIE, APIHandler
from web.serialize import user_json
from web.validation import optional, required

# The browser keeps the cookie this long; the server ends the session after OA_SESSION_HOURS without use.
COOKIE_DAYS = 30

LOGIN_SHAPE = {"username": required(str), "password": required(str), "channel": optional(str)}


class LoginHandler(APIHandler):
    @public
    async def post(self) -> None:
        body = self.body(LOGIN_SHAPE)
        channel = "mobile" if body.get("channel") == "mobile" else "web"
        result = await self.services.sessions.login(body["username"].strip().lower(), body["password"],
                                                    self.client_address, channel)
        secure = self.services.settings.cookie_secure
        self.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="Lax", secure=secure,
                        expires_days=COOKIE_DAYS, path="/")
        # Readable by the page's script so it can echo it in X-CSRF-Token; useless to another site.
        self.set_cookie(CSRF_COOKIE, result.csrf_token, samesite="Lax", secure=secure,
                        expires_days=COOKIE_DAYS, path="/")
        self.send_json({"token": result.token, "csrf_token": result.csrf_token, "expires_in": result.expires_in,
                        "user": user_json(result.user)})


class LogoutHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        token, _ = self.request_token()
        if token:
            await self.services.sessions.logout(token)
        self.clear_cookie(SESSION_COOKIE, path="/")
        self.clear_cookie(CSRF_COOKIE, path="/")
        self.send_json({"status": "logged_out"})


class MeHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        user = self.require_user()
        units = await self.services.orgs.get_many([post["unit_id"] for post in user["posts"]])
        view = user_json(user)
        for post in view["posts"]:
            unit = units.get(post["unit_id"])
            post["unit"] = {"id": unit["_id"], "name": unit["name"], "level": unit["level"],
                            "status": unit["status"]} if unit else None
        view["administers"] = await self.services.authorizer.administered_units(user)
        self.send_json(view)
