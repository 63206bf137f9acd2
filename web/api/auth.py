"""Login, logout and "who am I": the session cookie for browsers, the same token as Bearer for phones;
first activation of an account that has no password yet; a person's own new password (also the way on
from an expired one); which ways of logging in the login page offers.

A wrong username, a wrong password and a deactivated account are one 401. An active account with no
password (imported without one) is 403 `activation_required`, which does say that the username
exists and is not activated: see oa/activation.py for why that is told and how probing is bounded.
"""

from __future__ import annotations

from oa.activation import REQUIRED_MESSAGE, ActivationRequired
from oa.errors import NotFound, Unauthenticated
from oa.passwords import RULES_TEXT
from oa.sessions import LoginResult
from oa.sms_login import SmsLogin
from web.authz import authenticated, public
from web.base import CSRF_COOKIE, SESSION_COOKIE, APIHandler, BaseHandler
from web.serialize import user_json
from web.validation import optional, required

# The browser keeps the cookie this long; the server ends the session after OA_SESSION_HOURS without use.
COOKIE_DAYS = 30

LOGIN_SHAPE = {"username": required(str), "password": required(str), "channel": optional(str)}
ACTIVATE_SHAPE = {"username": required(str), "code": required(str), "password": required(str)}
PASSWORD_SHAPE = {"username": required(str), "password": required(str), "new_password": required(str)}
# Kept on the stored record for the activation itself; never part of a person's view of themselves.
ACTIVATION_FIELDS = ("activation", "activated")


class LoginHandler(APIHandler):
    @public
    async def post(self) -> None:
        body = self.body(LOGIN_SHAPE)
        channel = "mobile" if body.get("channel") == "mobile" else "web"
        username = body["username"].strip().lower()
        try:
            result = await self.services.sessions.login(username, body["password"], self.client_address, channel)
        except Unauthenticated:
            if await self.services.users.needs_activation(username):
                raise ActivationRequired(REQUIRED_MESSAGE) from None
            raise
        set_session_cookies(self, result)
        user = {key: value for key, value in result.user.items() if key not in ACTIVATION_FIELDS}
        self.send_json({"token": result.token, "csrf_token": result.csrf_token, "expires_in": result.expires_in,
                        "user": user_json(user)})


def set_session_cookies(handler: BaseHandler, result: LoginResult) -> None:
    """The session as the browser keeps it, however the person proved who they are."""
    secure = handler.services.settings.cookie_secure
    handler.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="Lax", secure=secure,
                       expires_days=COOKIE_DAYS, path="/")
    # Readable by the page's script so it can echo it in X-CSRF-Token; useless to another site.
    handler.set_cookie(CSRF_COOKIE, result.csrf_token, samesite="Lax", secure=secure,
                       expires_days=COOKIE_DAYS, path="/")


class PasswordHandler(APIHandler):
    """POST /api/password {username, password, new_password}: one's own new password, proved by the current
    one, also when it has expired (then the login refused with 403 password_expired). No session is opened:
    every session of the person ends, and they log in with the new password."""

    @public
    async def post(self) -> None:
        body = self.body(PASSWORD_SHAPE)
        username = body["username"].strip().lower()
        await self.services.sessions.change_password(username, body["password"], body["new_password"],
                                                     self.client_address)
        self.send_json({"status": "changed", "username": username})


class SmsCodeHandler(APIHandler):
    """POST /api/login/sms-code {mobile}: a login code by SMS, if the number is one active person's; the
    answer is the same whether it is or not."""

    @public
    async def post(self) -> None:
        body = self.body({"mobile": required(str)})
        message = await sms_service(self).request_code(body["mobile"], self.client_address)
        self.send_json({"status": "sent_if_registered", "message": message})


class SmsLoginHandler(APIHandler):
    """POST /api/login/sms {mobile, code}: log in with the code; answers as POST /api/login does."""

    @public
    async def post(self) -> None:
        body = self.body({"mobile": required(str), "code": required(str), "channel": optional(str)})
        channel = "mobile" if body.get("channel") == "mobile" else "web"
        result = await sms_service(self).log_in(body["mobile"], body["code"], self.client_address, channel)
        set_session_cookies(self, result)
        user = {key: value for key, value in result.user.items() if key not in ACTIVATION_FIELDS}
        self.send_json({"token": result.token, "csrf_token": result.csrf_token, "expires_in": result.expires_in,
                        "user": user_json(user)})


def sms_service(handler: APIHandler) -> SmsLogin:
    service = handler.application.settings.get("sms_login")
    if service is None:
        raise NotFound("短信验证码登录未启用。 SMS login is not configured.", code="sms_login_disabled")
    return service


class LoginOptionsHandler(APIHandler):
    """GET /api/login/options: the ways of logging in this service offers besides a password."""

    @public
    async def get(self) -> None:
        settings = self.services.settings
        oidc = {"label": settings.oidc_label, "url": "/auth/oidc/login"} if settings.oidc_enabled else None
        policy = self.services.users.policy
        self.send_json({"oidc": oidc, "sms": self.application.settings.get("sms_login") is not None,
                        "password_rules": RULES_TEXT, "password_history": policy.history})


class ActivateHandler(APIHandler):
    """POST /api/activate {username, code, password}: set the first password with an activation code."""

    @public
    async def post(self) -> None:
        body = self.body(ACTIVATE_SHAPE)
        username = body["username"].strip().lower()
        await self.services.users.activation.activate(username, body["code"], body["password"], self.client_address)
        # Attempts that met "not activated yet" at the login do not count against the first real login.
        await self.services.sessions.throttle.succeeded(username, self.client_address)
        self.send_json({"status": "activated", "username": username})


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
