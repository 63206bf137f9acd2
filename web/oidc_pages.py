"""The browser's way through the unified identity platform: /auth/oidc/login sends it off, /auth/oidc/callback
brings it back logged in, or shows a page saying in words why not.

These are page navigations, not API calls: they redirect and answer HTML. The state value travels both in
the URL and in an HttpOnly cookie of this browser, so a callback started in another browser (login CSRF)
finds no match; the state record itself is single use (oa/login_states.py). The platform's person is
matched to an existing person by the configured claim (OA_OIDC_CLAIM against OA_OIDC_MATCH); nobody is
ever created, and a platform identity with no active person here gets a 403 page that says so.
"""

from __future__ import annotations

import html
import logging
import secrets
from typing import Any

import tornado.web

from web.api.auth import set_session_cookies
from web.base import BaseHandler
from web.oidc import UNAVAILABLE, OidcClient, OidcRefused, pkce_pair
from web.pages import secure_headers

log = logging.getLogger("oa.oidc")

STATE_COOKIE = "oa_oidc_state"
CALLBACK_PATH = "/auth/oidc/callback"
# Where a person may ask to land after logging in: the three apps.
LANDINGS = {"/", "/desk", "/admin"}
MATCH_NAMES = {"username": "用户名", "mobile": "手机号"}

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/static/app.css"></head>
<body class="mobile"><main class="login-box"><section class="card login" role="alert">
<h1>{title}</h1>{body}<p class="login-links"><a href="{back}">返回登录</a></p></section></main></body></html>"""


def masked(value: str, field: str) -> str:
    """A mobile number shown as 138****8000; a username as it is."""
    return f"{value[:3]}****{value[-4:]}" if field == "mobile" and len(value) >= 8 else value


class OidcPage(BaseHandler):
    @property
    def client(self) -> OidcClient | None:
        return self.application.settings.get("oidc")

    def page(self, status: int, title: str, paragraphs: list[str], back: str = "/") -> None:
        self.set_status(status)
        secure_headers(self)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
        self.finish(PAGE.format(title=html.escape(title), body=body, back=html.escape(back)))

    def redirect_uri(self) -> str:
        configured = self.services.settings.oidc_redirect_url
        return configured or f"{self.request.protocol}://{self.request.host}{CALLBACK_PATH}"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.page(status_code, "登录失败", ["统一身份认证登录时出现错误，请稍后再试或使用密码登录。"])


class OidcLoginHandler(OidcPage):
    """GET /auth/oidc/login?next=/desk: off to the platform's login page."""

    async def get(self) -> None:
        client = self.client
        if client is None:
            self.page(404, "未启用统一身份认证", ["本平台没有配置统一身份认证登录，请使用用户名和密码登录。"])
            return
        landing = self.get_query_argument("next", "/")
        landing = landing if landing in LANDINGS else "/"
        verifier, challenge = pkce_pair()
        nonce, redirect_uri = secrets.token_urlsafe(24), self.redirect_uri()
        state = await self.services.login_states.begin(
            "oidc", {"nonce": nonce, "verifier": verifier, "next": landing, "redirect_uri": redirect_uri})
        try:
            url = await client.authorization_url(redirect_uri, state, nonce, challenge)
        except OidcRefused as refused:
            log.warning("unified identity login cannot start: %s", refused.detail)
            self.page(503, "统一身份认证暂不可用", [refused.message], back=landing)
            return
        # Lax: sent back with the platform's top-level redirect to the callback, never with another site's POST.
        self.set_cookie(STATE_COOKIE, state, httponly=True, samesite="Lax",
                        secure=self.services.settings.cookie_secure, path="/auth/oidc")
        self.redirect(url)


class OidcCallbackHandler(OidcPage):
    """GET /auth/oidc/callback?code=…&state=…: verify, find the person, open a session, on to the app."""

    async def get(self) -> None:
        client = self.client
        if client is None:
            raise tornado.web.HTTPError(404)
        state = self.get_query_argument("state", "")
        cookie = self.get_cookie(STATE_COOKIE) or ""
        self.clear_cookie(STATE_COOKIE, path="/auth/oidc")
        if not state or not secrets.compare_digest(state.encode(), cookie.encode()):
            self.page(400, "登录请求无效",
                      ["这次统一身份认证登录不是从本浏览器发起的，或已经用过。请回到登录页重新登录。"])
            return
        started = await self.services.login_states.finish("oidc", state)
        if started is None:
            self.page(400, "登录请求已过期", ["统一身份认证登录超时或已经用过，请回到登录页重新登录。"])
            return
        landing = started["next"]
        error = self.get_query_argument("error", None)
        if error:
            log.info("unified identity login not granted: %s %s", error,
                     self.get_query_argument("error_description", ""))
            self.page(403, "统一身份认证未完成", ["统一身份认证平台没有确认您的身份（登录被取消或被拒绝）。"],
                      back=landing)
            return
        code = self.get_query_argument("code", "")
        try:
            id_token = await client.exchange(code, started["verifier"], started["redirect_uri"])
            claims = await client.verify(id_token, started["nonce"])
        except OidcRefused as refused:
            log.warning("unified identity login refused: %s", refused.detail)
            self.page(503 if refused.message == UNAVAILABLE else 403, "统一身份认证登录被拒绝",
                      [refused.message], back=landing)
            return
        await self.sign_in(claims, landing)

    async def sign_in(self, claims: dict[str, Any], landing: str) -> None:
        settings = self.services.settings
        value = claims.get(settings.oidc_claim)
        field = settings.oidc_match
        user = await self.services.users.find_for_sign_in(field, value) if isinstance(value, str) and value else None
        if user is None:
            log.warning("unified identity login of %s=%r (sub %r) matches no active person",
                        settings.oidc_claim, value, claims.get("sub"))
            shown = masked(value, field) if isinstance(value, str) and value else "（平台未提供）"
            self.page(403, "没有对应的人员账号",
                      [f"统一身份认证平台已确认您的身份（{MATCH_NAMES[field]}：{shown}），"
                       "但本平台没有与之对应的在用人员账号。",
                       f"请联系本单位管理员核对您在本平台登记的{MATCH_NAMES[field]}。"], back=landing)
            return
        channel = "mobile" if landing == "/" else "web"
        result = await self.services.sessions.open_session(user, self.client_address, channel)
        log.info("%s logged in through the unified identity platform (sub %r)", user["username"], claims.get("sub"))
        set_session_cookies(self, result)
        self.redirect(landing)
