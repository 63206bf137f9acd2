"""An RFC 3161 timestamp over an anchor's bytes from the configured time-stamping service (OA_TSA_URL).

The request is built with asn1crypto (a SHA-256 imprint, a nonce, the TSA's certificate asked for), sent
with the standard media type, and the answer is checked: granted, the same imprint, the same nonce. The
token (DER) is kept beside the anchor; anyone can check it later with `openssl ts -verify`.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import urllib.request

from asn1crypto import algos, tsp

from oa.errors import OAError


class TimestampFailed(OAError):
    code = "timestamp_failed"
    status = 502


def request_bytes(data: bytes, nonce: int) -> bytes:
    imprint = tsp.MessageImprint({"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                                  "hashed_message": hashlib.sha256(data).digest()})
    return bytes(tsp.TimeStampReq({"version": 1, "message_imprint": imprint, "nonce": nonce,
                                   "cert_req": True}).dump())


def _post(url: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # the configured OA_TSA_URL
        return bytes(response.read())


def check_response(answer: bytes, data: bytes, nonce: int) -> bytes:
    """The token (DER) from a TSA's answer, if it grants a timestamp over `data` with our nonce."""
    response = tsp.TimeStampResp.load(answer)
    status = response["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        raise TimestampFailed(f"the time-stamping service refused: {status}")
    token = response["time_stamp_token"]
    info = token["content"]["encap_content_info"]["content"].parsed
    if info["message_imprint"]["hashed_message"].native != hashlib.sha256(data).digest():
        raise TimestampFailed("the time-stamping service stamped other bytes than the anchor's")
    if info["nonce"].native != nonce:
        raise TimestampFailed("the time-stamping service answered another request (nonce differs)")
    return bytes(token.dump())


def token_time(token: bytes) -> str:
    """When the TSA says it stamped (ISO 8601)."""
    info = tsp.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    return str(info["gen_time"].native.isoformat())


async def timestamp(url: str, data: bytes, timeout: float = 20) -> bytes:
    """An RFC 3161 token over `data` from the TSA at `url` (blocking HTTP, off the event loop)."""
    nonce = secrets.randbits(63)
    try:
        answer = await asyncio.to_thread(_post, url, request_bytes(data, nonce), timeout)
    except OSError as exc:
        raise TimestampFailed(f"the time-stamping service at {url} did not answer: {exc}") from exc
    return check_response(answer, data, nonce)
