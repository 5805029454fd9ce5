"""Encryption of stored secrets (provider API keys) with a key derived from ``SECRET_KEY``."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    # A dedicated sub-key: the session-signing key itself is never used to encrypt.
    digest = hashlib.sha256(b"igny8:integration-secrets:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    """Ciphertext (text) of ``plain``."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The plain text, or None when absent or unreadable (e.g. ``SECRET_KEY`` changed)."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
