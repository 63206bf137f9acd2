"""The two base handlers: BaseHandler finds who is calling; APIHandler speaks JSON and renders every error.

API handlers never redirect to a login page: an unauthenticated call gets 401 JSON. A call that
authenticates with the session cookie and changes state must carry the session's CSRF token in
the X-CSRF-Token header; bearer-token calls (mobile clients) cannot be forged cross-site and
need none.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import tornado.web

from oa.clock import CHINA
from oa.errors import (
    Forbidden,
    InvalidInput,
    OAError,
    PayloadTooLarge,
    Throttled,
    Unauthenticated,
    UnsupportedMediaType,
)
from storage.mongo import ConnectionFailure
from web.authz import rule_of
from web.validation import Shape, check_shape

if TYPE_CHECKING:
    from oa.sessions import Authenticated
    from web.services import Services

log = logging.getLogger("oa.web")

SESSION_COOKIE = "oa_session"
CSRF_COOKIE = "oa_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 10_000_000
# A JSON body (the largest is a bulk import of a whole city's units and people) and how deep it may nest.
MAX_JSON_BODY = 16 * 1024 * 1024
MAX_JSON_DEPTH = 32
MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1
# Search text (?q=) becomes a regex pattern, which the database caps at 1,000 characters once escaped.
MAX_SEARCH_TEXT = 100
# Query dates: the People's Republic's documents, with room to plan ahead.
MIN_YEAR, MAX_YEAR = 1949, 2999
ISO_DAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SURROGATE_RE = re.compile("[\ud800-\udfff]")


def china_midnight(day: date) -> datetime:
    """The start of a calendar day in China, as stored times are compared with it."""
    return datetime.combine(day, time(), tzinfo=CHINA)


def refuse_bad_text(text: str, label: str, field: str | None) -> None:
    """A lone surrogate (JSON "\\ud800") is no character: it cannot be stored, logged or sent back as UTF-8."""
    if SURROGATE_RE.search(text):
        raise InvalidInput(f"{label} contains an unpaired surrogate (U+D800–U+DFFF), which is not text",
                           code="invalid_text", field=field)


def check_json_value(value: Any, where: str = "", depth: int = 0) -> None:
    """Refuse, naming where, what parses as JSON but no handler or database can take: lone surrogates,
    integers beyond 64 bits, NaN and infinities, keys MongoDB refuses, nesting deeper than MAX_JSON_DEPTH."""
    label = f"'{where}'" if where else "the request body"
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput(f"{label} nests deeper than {MAX_JSON_DEPTH} levels", code="too_deep", field=where)
    if isinstance(value, str):
        refuse_bad_text(value, label, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not MIN_INT64 <= value <= MAX_INT64:
            raise InvalidInput(f"{label} is beyond a 64-bit integer", code="invalid_number", field=where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{label} is not a finite number", code="invalid_number", field=where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_bad_text(key, f"a key in {label}", where)
            if key.startswith("$") or "\x00" in key:
                raise InvalidInput(f"{label} has the key {key!r}: keys may not start with '$' or contain NUL",
                                   code="invalid_key", field=where)
            check_json_value(item, f"{where}.{key}" if where else key, depth + 1)


REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class BaseHandler(tornado.web.RequestHandler):
    auth: Authenticated | None = None
    auth_via: str | None = None

    @property
    def services(self) -> Services:
        return self.application.settings["services"]

    def request_token(self) -> tuple[str | None, str | None]:
        header = self.request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None, "bearer"
        cookie = self.get_cookie(SESSION_COOKIE)
        return (cookie, "cookie") if cookie else (None, None)

    async def prepare(self) -> None:
        token, via = self.request_token()
        if token:
            self.auth = await self.services.sessions.resolve(token)
            self.auth_via = via if self.auth else None
        if self.auth and self.auth_via == "cookie" and self.request.method in UNSAFE_METHODS:
            sent = self.request.headers.get(CSRF_HEADER)
            if sent != self.auth.session["csrf_token"]:
                raise Forbidden(f"missing or wrong {CSRF_HEADER} header (cross-site request protection)",
                                code="csrf_failed")

    def get_current_user(self) -> dict[str, Any] | None:
        return self.auth.user if self.auth else None

    def require_user(self) -> dict[str, Any]:
        if self.auth is None:
            raise Unauthenticated("log in first: send the session cookie or an Authorization: Bearer token")
        return self.auth.user

    @property
    def client_address(self) -> str:
        return self.request.remote_ip or "unknown"

    @property
    def channel(self) -> str:
        """Where an action came from, for the audit trail: the phone app says so in a header."""
        if self.auth_via == "bearer" or self.request.headers.get("X-OA-Channel") == "mobile":
            return "mobile"
        return "web"


class APIHandler(BaseHandler):
    def set_default_headers(self) -> None:
        # The load balancer's request id if it sent a sane one, else ours: in the answer and the access log.
        given = self.request.headers.get(REQUEST_ID_HEADER, "")
        self.request_id = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        self.set_header(REQUEST_ID_HEADER, self.request_id)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def check_xsrf_cookie(self) -> None:
        """CSRF is checked in prepare() against the session's own token instead."""

    def decode_argument(self, value: bytes | str, name: str | None = None) -> str:
        """Every path and query argument as text, or a JSON 400 naming it (not UTF-8, or a lone surrogate)."""
        where = f"query parameter '{name}'" if name else "the path"
        try:
            text = value if isinstance(value, str) else value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{where} is not valid UTF-8", code="invalid_text", field=name) from None
        refuse_bad_text(text, where, name)
        return text

    async def prepare(self) -> None:
        name = self.request.method.lower()
        method = getattr(self, name, None)
        if method is not None and getattr(type(self), name, None) is getattr(tornado.web.RequestHandler, name, None):
            raise tornado.web.HTTPError(405, f"{self.request.method} is not supported here")
        if method is None or rule_of(method) is None:
            # Deny by default: a method with no declared permission rule is never run.
            raise Forbidden("this endpoint declares no permission rule")
        await super().prepare()

    def body(self, shape: Shape) -> dict[str, Any]:
        """The JSON body checked against `shape` (parsed once, even if asked for twice)."""
        if not hasattr(self, "_parsed_body"):
            self._parsed_body = self._parse_body()
        return check_shape(self._parsed_body, shape)

    def _parse_body(self) -> Any:
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            # Also keeps cross-site HTML forms (which cannot send JSON) from posting here.
            raise UnsupportedMediaType(f"send the body as JSON with Content-Type: application/json "
                                       f"(got {content_type or 'none'})")
        if not self.request.body:
            raise InvalidInput("a JSON request body is required", code="empty_body")
        if len(self.request.body) > MAX_JSON_BODY:
            raise PayloadTooLarge(f"a JSON body may be at most {MAX_JSON_BODY // (1024 * 1024)} MB")
        try:
            parsed = json.loads(self.request.body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidInput(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
        check_json_value(parsed)
        return parsed

    def paging(self) -> tuple[int, int]:
        offset = self.int_argument("offset", 0)
        limit = self.int_argument("limit", DEFAULT_LIMIT)
        if not 0 <= offset <= MAX_OFFSET or limit < 1:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET} and limit at least 1")
        return offset, min(limit, MAX_LIMIT)

    def int_argument(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
            if not MIN_INT64 <= value <= MAX_INT64:
                raise ValueError
        except ValueError:
            raise InvalidInput(f"query parameter '{name}' must be a 64-bit integer (got {raw[:40]!r})",
                               field=name) from None
        return value

    def search_argument(self, name: str = "q") -> str | None:
        """Text to search for (None if absent or blank), at most MAX_SEARCH_TEXT characters."""
        text = (self.get_query_argument(name, None) or "").strip()
        if len(text) > MAX_SEARCH_TEXT:
            raise InvalidInput(f"query parameter '{name}' must be at most {MAX_SEARCH_TEXT} characters "
                               f"(got {len(text)})", field=name)
        return text or None

    def date_argument(self, name: str) -> date | None:
        """A query date YYYY-MM-DD (None if absent), between MIN_YEAR and MAX_YEAR so day arithmetic never overflows."""
        raw = self.get_query_argument(name, None)
        if not raw:
            return None
        try:
            if not ISO_DAY_RE.match(raw):
                raise ValueError
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"query parameter '{name}' must be a date YYYY-MM-DD (got {raw!r})",
                               field=name) from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise InvalidInput(f"query parameter '{name}' must be a date in the years {MIN_YEAR}–{MAX_YEAR} "
                               f"(got {raw!r})", field=name)
        return day

    def bool_argument(self, name: str) -> bool:
        raw = (self.get_query_argument(name, "") or "").lower()
        if raw not in ("", "0", "1", "true", "false", "yes", "no"):
            raise InvalidInput(f"query parameter '{name}' must be true or false (got {raw!r})")
        return raw in ("1", "true", "yes")

    def send_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, OAError):
            self.set_status(error.status)
            if isinstance(error, Throttled):
                self.set_header("Retry-After", str(error.retry_after))
            payload = error.to_json()
        elif isinstance(error, tornado.web.HTTPError):
            payload = {"code": f"http_{status_code}", "message": error.log_message or self._reason}
        elif isinstance(error, ConnectionFailure):
            # The database unreachable for a moment (a failover, dropped connections): the person is told to
            # try again, with the status that says so, rather than that the service is broken.
            self.set_status(503)
            self.set_header("Retry-After", "1")
            payload = {"code": "database_unavailable",
                       "message": "the database cannot be reached for the moment; try again shortly"}
        else:
            payload = {"code": "internal_error" if status_code >= 500 else f"http_{status_code}",
                       "message": "internal error; it has been logged" if status_code >= 500 else self._reason}
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(payload, ensure_ascii=False))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, OAError):
            log.debug("%s %s -> %s %s", self.request.method, self.request.uri, value.status, value.code)
            return
        super().log_exception(typ, value, tb)


class NotFoundHandler(APIHandler):
    """Unknown /api paths answer JSON 404 rather than Tornado's HTML page."""

    async def prepare(self) -> None:
        self.set_status(404)
        self.send_json({"code": "not_found", "message": f"no such endpoint: {self.request.path}"}, status=404)
