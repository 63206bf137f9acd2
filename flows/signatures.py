"""Handwritten signatures drawn on a phone's canvas, kept as PNG images in the object store."""

from __future__ import annotations

import base64
import binascii
import hashlib

from oa.errors import InvalidInput, PayloadTooLarge
from storage.blobs import MinioBlobStore

DATA_URL_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 256 * 1024


class SignatureStore:
    def __init__(self, blobs: MinioBlobStore) -> None:
        self.blobs = blobs

    async def save(self, data_url: str) -> str:
        """Store a `data:image/png;base64,...` signature; returns its object key (content-addressed)."""
        if not data_url.startswith(DATA_URL_PREFIX):
            raise InvalidInput("signature must be a PNG data URL (data:image/png;base64,...)", field="signature")
        encoded = data_url[len(DATA_URL_PREFIX):]
        if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
            raise PayloadTooLarge(f"a signature image is at most {MAX_SIGNATURE_BYTES // 1024} KB")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("signature is not valid base64", field="signature") from None
        if not data.startswith(PNG_MAGIC):
            raise InvalidInput("signature is not a PNG image", field="signature")
        key = f"signatures/{hashlib.sha256(data).hexdigest()}.png"
        await self.blobs.put_bytes(key, data, "image/png")
        return key

    async def read(self, key: str) -> bytes:
        """The PNG bytes of a stored signature (small: shown inline, through the service)."""
        if not key.startswith("signatures/"):
            raise InvalidInput("not a signature key", field="key")
        return await self.blobs.get(key)
