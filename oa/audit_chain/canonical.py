"""The bytes an audit record is hashed as, and the hash functions a chain may use.

A record is hashed as it reads back from the database, so the verifier, reading it years later,
recomputes the very same bytes: keys sorted, no spaces, UTF-8; datetimes in UTC to the millisecond
(BSON keeps no finer), with a `Z`; ObjectIds as {"$oid": hex}; bytes as {"$bin": base64}; tuples as
lists. A type this does not know is refused rather than hashed some way the verifier might not repeat.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

# Each link names its algorithm, so a chain may change algorithm part-way and still verify.
ALGORITHMS = ("sha256", "sm3")


def _sm3(data: bytes) -> str:
    """SM3 (GB/T 32905) from OpenSSL when it has it (fast); else gmssl's pure-Python one (~100 µs per 1 KB)."""
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).hexdigest()
    return gmssl_sm3(data)


def gmssl_sm3(data: bytes) -> str:
    from gmssl import func, sm3  # only where OpenSSL was built without SM3

    return str(sm3.sm3_hash(func.bytes_to_list(data)))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


HASHERS: dict[str, Callable[[bytes], str]] = {"sha256": _sha256, "sm3": _sm3}


def hash_bytes(algorithm: str, data: bytes) -> str:
    """Hex digest of `data` with `algorithm` (sha256 or sm3)."""
    try:
        return HASHERS[algorithm](data)
    except KeyError:
        raise ValueError(f"unknown audit hash algorithm {algorithm!r} (use one of {', '.join(ALGORITHMS)})") from None


def plain(value: Any) -> Any:
    """`value` as JSON types, the way it is hashed."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"$bin": base64.b64encode(value).decode("ascii")}
    if type(value).__name__ == "ObjectId":  # bson's, without importing the driver here
        return {"$oid": str(value)}
    raise TypeError(f"an audit record holds a {type(value).__name__}, which has no canonical form")


def canonical_bytes(record: Any) -> bytes:
    """The canonical JSON of `record` as the database gives it back."""
    return json.dumps(plain(record), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def digest(algorithm: str, record: Any) -> str:
    return hash_bytes(algorithm, canonical_bytes(record))
