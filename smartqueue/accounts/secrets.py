"""Password hashing (Argon2id) and keyed hashes of short codes and link tokens."""

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# Argon2id with the RFC 9106 low-memory parameters; the test suite may ask for the cheapest
# (PASSWORD_HASH_PROFILE = "CHEAPEST") so that hundreds of sign-ins stay fast. The parameters
# travel inside each hash, so either hasher verifies the other's hashes.
_HASHERS = {
    name: PasswordHasher.from_parameters(getattr(profiles, name))
    for name in ("RFC_9106_LOW_MEMORY", "CHEAPEST")
}


def _hasher() -> PasswordHasher:
    return _HASHERS[
        current_app.config.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")
    ]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def unusable_password() -> str:
    """A hash no password matches (deleted accounts, accounts waiting for an invitation)."""
    return "!" + secrets.token_hex(16)


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def keyed_hash(value: str) -> str:
    """HMAC with the app's secret: a leaked table of hashes cannot be brute-forced offline."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
