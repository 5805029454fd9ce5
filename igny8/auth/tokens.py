"""API tokens: random secrets shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select

from igny8.extensions import db
from igny8.models import ApiToken, User
from igny8.models.base import utcnow

TOKEN_PREFIX = "igny8_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "api") -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret (never stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        account_id=user.account_id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
    )
    db.session.add(row)
    db.session.flush()
    return row, secret


def user_for_token(secret: str) -> User | None:
    """The user a live token belongs to, or None (unknown, revoked or malformed)."""
    if not secret or len(secret) > 200:
        return None
    digest = hash_token(secret)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash; compare_digest keeps the final check constant-time anyway.
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = utcnow()
    # A write per API call would serialise every request on this row: record use once a minute.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return row.user


def revoke_token(account_id: int, token_id: int) -> bool:
    """Revoke one of the account's tokens; False when it is not the account's."""
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id)
    )
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return True
