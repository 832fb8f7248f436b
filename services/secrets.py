"""Secrets at rest: instance connection URLs (encrypted), passwords and API tokens (hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from services.errors import SecretError

#: Prefix that makes an API token recognisable in logs and secret scanners.
TOKEN_PREFIX = "rbt_"

_password_hasher = PasswordHasher()


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"reportbuilder:connection-url:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_url(url: str, *, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(url.encode()).decode()


def decrypt_url(token: str, *, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        # Never echo the token: it is the URL, encrypted.
        raise SecretError(
            "The instance's connection URL cannot be decrypted: SECRET_KEY changed since it "
            "was saved. Set the old key, or save the URL again."
        ) from None


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    """A random token, shown once; only its hash is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    """SHA-256: tokens are random and long, so a slow hash adds nothing but latency."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_api_token(token), token_hash)
