"""One error hierarchy for the whole service: a stable code, an HTTP status and a message.

Domain code raises these; the web layer renders every one of them as JSON `{code, message, ...}`
in a single place, so clients can rely on `code` whatever endpoint failed.
"""

from __future__ import annotations

from typing import Any


class OAError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            # A more specific code than the class's, e.g. invalid_json for an InvalidInput.
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InvalidInput(OAError):
    code = "invalid_input"
    status = 400


class UnsupportedMediaType(OAError):
    code = "unsupported_media_type"
    status = 415


class PayloadTooLarge(OAError):
    code = "too_large"
    status = 413


class NotFound(OAError):
    code = "not_found"
    status = 404


class Conflict(OAError):
    code = "conflict"
    status = 409


class StaleVersion(Conflict):
    code = "stale_version"


class Unprocessable(OAError):
    """Well-formed, but the thing cannot be accepted as it is (an archival package failing its 四性检测)."""

    code = "unprocessable"
    status = 422


class Unauthenticated(OAError):
    code = "unauthenticated"
    status = 401


class Forbidden(OAError):
    code = "forbidden"
    status = 403


class Throttled(OAError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class ImportRejected(InvalidInput):
    """A bulk import with bad rows: `errors` lists every one, nothing was written."""

    code = "import_rejected"


class Unavailable(OAError):
    code = "unavailable"
    status = 503


class DeliveryFailed(OAError):
    """An outside service (SMS provider, messenger, mail server, push service) did not take a message.

    `retryable` says whether sending the same message again later may succeed (throttled, busy, down)
    or not (a wrong number, an unapproved template, a bad key).
    """

    code = "delivery_failed"
    status = 502

    def __init__(self, message: str, retryable: bool = True, **details: Any) -> None:
        super().__init__(message, **details)
        self.retryable = retryable
