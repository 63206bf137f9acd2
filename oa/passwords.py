"""Password hashing with Argon2id, run in a worker thread so a login never stalls the event loop, and the
strength rules of 等级保护 level 3: at least 8 characters from at least 3 of the 4 classes (upper case,
lower case, digits, symbols), never containing the username."""

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
MAX_LENGTH = 256
MIN_CLASSES = 3
RULES_TEXT = "至少 8 位，包含大写字母、小写字母、数字、符号中的至少 3 类，不能包含用户名"


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols (anything else) the password uses."""
    return sum((any(char.isupper() for char in password), any(char.islower() for char in password),
                any(char.isdigit() for char in password),
                any(not (char.isalnum() or char.isspace()) for char in password)))


def check_strength(password: object, username: str | None = None) -> list[str]:
    """What is wrong with a new password (nothing: an empty list); each message names the rule in both languages."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return [f"password must be at least {MIN_LENGTH} characters (密码至少 {MIN_LENGTH} 位)"]
    if len(password) > MAX_LENGTH:
        return [f"password must be at most {MAX_LENGTH} characters (密码最多 {MAX_LENGTH} 位)"]
    problems = []
    if character_classes(password) < MIN_CLASSES:
        problems.append("password must mix at least 3 of: upper case, lower case, digits, symbols "
                        "(密码须包含大写字母、小写字母、数字、符号中的至少 3 类)")
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append("password must not contain the username (密码不能包含用户名)")
    return problems


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


async def matches_any(stored_hashes: list[str], password: str) -> bool:
    """Does `password` match any of these hashes (a person's current and earlier passwords)?"""
    for stored in stored_hashes:
        if stored and await verify_password(stored, password):
            return True
    return False
