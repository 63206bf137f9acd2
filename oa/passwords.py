"""Password hashing with Argon2id, run in a worker thread so a login never stalls the event loop."""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite creates and logs in thousands of people; it sets this to hash with Argon2's
# cheapest parameters. Never set it for a real service: stored hashes keep the parameters
# they were made with, so such accounts would stay weakly protected.
TEST_HASHING_VARIABLE = "OA_INSECURE_FAST_PASSWORD_HASHING_FOR_TESTS"
_HASHER = (PasswordHasher.from_parameters(profiles.CHEAPEST) if os.environ.get(TEST_HASHING_VARIABLE) == "1"
           else PasswordHasher())
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _HASHER.hash("not a real password")

MIN_LENGTH = 8


def check_strength(password: object) -> list[str]:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return [f"password must be at least {MIN_LENGTH} characters"]
    if len(password) > 256:
        return ["password must be at most 256 characters"]
    return []


def hash_password_sync(password: str) -> str:
    return _HASHER.hash(password)


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _HASHER.hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; with no stored hash it still spends the same work and says False."""
    return await asyncio.get_running_loop().run_in_executor(None, _verify, stored_hash, password)
