"""Secret tokens in links and session cookies: random, and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

#: 32 random bytes: unguessable, so lookups need no throttling
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
