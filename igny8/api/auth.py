"""Token issuing: ``POST /api/v1/auth/token`` and the account's token list."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from igny8.api import bp
from igny8.api.errors import ApiError
from igny8.api.serializers import token_json
from igny8.api.validation import Body, parse_body
from igny8.auth.tokens import create_token, revoke_token
from igny8.extensions import db, limiter
from igny8.models import ApiToken
from igny8.services.accounts import find_user
from igny8.services.passwords import verify_password


class TokenRequest(Body):
    """Credentials exchanged for a token."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="api", min_length=1, max_length=100)


@bp.post("/auth/token")
@limiter.limit("10/minute")
def create_auth_token():
    """Email + password → 201 {"token"}; wrong credentials → 401."""
    body = parse_body(TokenRequest)
    user = find_user(body.email)
    if user is None or not verify_password(user.password_hash, body.password):
        raise ApiError(401, "unauthorized", "Wrong email or password")
    _, secret = create_token(user, body.name)
    db.session.commit()
    return jsonify(token=secret), 201


@bp.get("/auth/tokens")
def list_tokens():
    """The account's tokens (metadata only)."""
    rows = db.session.scalars(
        db.select(ApiToken).where(ApiToken.account_id == current_user.account_id).order_by(ApiToken.id)
    )
    results = [token_json(t) for t in rows]
    return jsonify(count=len(results), results=results)


@bp.delete("/auth/tokens/<int:token_id>")
def delete_token(token_id: int):
    """Revoke a token of the account."""
    if not revoke_token(current_user.account_id, token_id):
        raise ApiError(404, "not_found", "Token not found")
    return "", 204
