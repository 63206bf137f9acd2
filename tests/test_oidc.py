"""OpenID Connect login through a local stand-in of the province's unified identity platform, over real HTTP:
the whole code flow with PKCE, state and nonce; tokens that are forged, expired, for another client or with
another nonce are refused; a state is single use and bound to the browser that started; a platform identity
with no person here is refused with a page saying so, and nobody is created."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from html import unescape
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse

from tests.client import ApiClient
from tests.conftest import start_app
from tests.factories import small_org
from tests.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    EXPIRED,
    FORGED,
    OTHER_AUDIENCE,
    OTHER_NONCE,
    Provider,
    start_provider,
)
from web.config import ConfigError, Settings
from web.services import Services


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    started, server = start_provider()
    try:
        yield started
    finally:
        server.stop()


async def oidc_site(services: Services, provider: Provider, **changes: object) -> tuple[object, str]:
    settings = services.settings.with_changes(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                                              oidc_client_secret=CLIENT_SECRET, **changes)
    return await start_app(dataclasses.replace(services, settings=settings))


async def fetch(url: str, method: str = "GET", body: str | None = None, cookie: str = "") -> HTTPResponse:
    request = HTTPRequest(url, method=method, body=body, follow_redirects=False,
                          headers={"Cookie": cookie} if cookie else {})
    return await AsyncHTTPClient().fetch(request, raise_error=False)


def cookies_of(response: HTTPResponse) -> dict[str, str]:
    return {item.split("=", 1)[0]: item.split("=", 1)[1].split(";", 1)[0]
            for item in response.headers.get_list("Set-Cookie")}


async def platform_login(base_url: str, account: str, secret: str) -> tuple[str, str]:
    """Start at our login link, log in at the platform; the callback URL it sends back and our state cookie."""
    start = await fetch(f"{base_url}/auth/oidc/login?next=/desk")
    assert start.code == 302, start.body
    state_cookie = cookies_of(start)["oa_oidc_state"]
    authorize = start.headers["Location"]
    query = parse_qs(urlparse(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0] and query["state"] == [state_cookie]
    page = await fetch(authorize)
    hidden = unescape(re.search(r'name="query" value="([^"]*)"', page.body.decode()).group(1))
    answer = await fetch(authorize, "POST", urlencode({"query": hidden, "account": account, "secret": secret}))
    assert answer.code == 302, answer.body
    return answer.headers["Location"], f"oa_oidc_state={state_cookie}"


async def test_a_person_logs_in_through_the_platform_and_lands_in_the_app(services: Services, provider: Provider,
                                                                        api: ApiClient) -> None:
    org = await small_org(services)
    clerk = org.users["clerk"]
    await services.users.update(clerk["_id"], {"mobile": "13800138000"}, clerk["version"])
    provider.accounts["44010219800101001X"] = ("Gd-platform-1", {"sub": "gd-7781", "phone_number": "+86 138 0013 8000"})
    server, base_url = await oidc_site(services, provider, oidc_claim="phone_number", oidc_match="mobile")
    try:
        options = await ApiClient(base_url).get("/api/login/options")
        assert options.body["oidc"] == {"label": "统一身份认证登录", "url": "/auth/oidc/login"}
        callback, state = await platform_login(base_url, "44010219800101001X", "Gd-platform-1")
        done = await fetch(callback, cookie=state)
        assert done.code == 302 and done.headers["Location"] == "/desk", done.body
        session = cookies_of(done)["oa_session"]
        me = await ApiClient(base_url).get("/api/me", headers={"Cookie": f"oa_session={session}"})
        assert me.status == 200 and me.body["username"] == "clerk"
        # The same callback again (a replayed URL) opens nothing.
        again = await fetch(callback, cookie=state)
        assert again.code == 400 and "已过期" in again.body.decode()
    finally:
        server.stop()
    # Without configuration the login page offers no platform button and the link says so.
    assert (await api.get("/api/login/options")).body["oidc"] is None
    assert (await fetch(f"{api.base_url}/auth/oidc/login")).code == 404


@pytest.mark.parametrize("mode", [FORGED, EXPIRED, OTHER_AUDIENCE, OTHER_NONCE])
async def test_tokens_that_fail_a_check_are_refused(services: Services, provider: Provider, mode: str) -> None:
    await small_org(services)
    provider.accounts["clerk-at-platform"] = ("Gd-platform-1", {"sub": "gd-1", "preferred_username": "clerk"})
    provider.mode = mode
    server, base_url = await oidc_site(services, provider)
    try:
        callback, state = await platform_login(base_url, "clerk-at-platform", "Gd-platform-1")
        refused = await fetch(callback, cookie=state)
        assert refused.code == 403, (mode, refused.code)
        assert "登录被拒绝" in refused.body.decode() and "oa_session" not in cookies_of(refused)
        assert await services.mongo["sessions"].count_documents({}) == 0
    finally:
        server.stop()


async def test_a_callback_from_another_browser_or_an_unknown_person_opens_nothing(services: Services,
                                                                                  provider: Provider) -> None:
    await small_org(services)
    provider.accounts["stranger"] = ("Gd-platform-1", {"sub": "gd-2", "preferred_username": "not.here"})
    provider.accounts["clerk-at-platform"] = ("Gd-platform-1", {"sub": "gd-1", "preferred_username": "clerk"})
    people = await services.mongo["users"].count_documents({})
    server, base_url = await oidc_site(services, provider)
    try:
        # Login CSRF: a callback carried into a browser that did not start the login.
        callback, _ = await platform_login(base_url, "clerk-at-platform", "Gd-platform-1")
        foreign = await fetch(callback, cookie="oa_oidc_state=someone-elses")
        assert foreign.code == 400 and "不是从本浏览器发起" in foreign.body.decode()
        assert provider.token_requests == 0  # the code was never even exchanged

        callback, state = await platform_login(base_url, "stranger", "Gd-platform-1")
        unknown = await fetch(callback, cookie=state)
        text = unknown.body.decode()
        assert unknown.code == 403 and "没有对应的人员账号" in text and "not.here" in text
        assert await services.mongo["users"].count_documents({}) == people
        assert await services.mongo["sessions"].count_documents({}) == 0
    finally:
        server.stop()


def test_the_platform_settings_are_checked_at_start() -> None:
    with pytest.raises(ConfigError, match="OA_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://idp.gd.gov.cn").validate()
    with pytest.raises(ConfigError, match="OA_OIDC_MATCH"):
        Settings(oidc_issuer="https://idp.gd.gov.cn", oidc_client_id="x", oidc_match="id_card").validate()
    settings = Settings(oidc_issuer="https://idp.gd.gov.cn", oidc_client_id="x", oidc_client_secret="s3cret")
    settings.validate()
    assert json.dumps(settings.describe()).count("s3cret") == 0
