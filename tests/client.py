"""A small real-HTTP JSON client for tests, over Tornado's AsyncHTTPClient."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from oa.demo_setup import DEFAULT_DEMO_PASSWORD


@dataclass
class Response:
    status: int
    body: Any
    headers: Any

    def __repr__(self) -> str:
        return f"<{self.status} {self.body!r}>"


class ApiClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = AsyncHTTPClient()

    async def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                      headers: dict[str, str] | None = None, raw: bytes | None = None) -> Response:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if payload is None and method in ("POST", "PATCH", "PUT"):
            payload = b""
        request = HTTPRequest(self.base_url + path, method=method, body=payload, headers=all_headers,
                              follow_redirects=False, request_timeout=120,
                              # Also how long a request may wait in the client's queue (10 at a time): a test
                              # logging in 105 clerks at once must not fail on a busy machine.
                              connect_timeout=120)
        response = await self.http.fetch(request, raise_error=False)
        content_type = response.headers.get("Content-Type", "")
        if response.body and not content_type.startswith(("application/json", "text/")):
            return Response(response.code, response.body, response.headers)  # a file: keep the bytes
        text = response.body.decode() if response.body else ""
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return Response(response.code, parsed, response.headers)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return await self.request("POST", path, body, **kwargs)

    async def patch(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return await self.request("PATCH", path, body, **kwargs)

    async def login(self, username: str, password: str = DEFAULT_DEMO_PASSWORD) -> str:
        response = await self.post("/api/login", {"username": username, "password": password})
        assert response.status == 200, response
        return str(response.body["token"])
