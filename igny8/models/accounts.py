"""Accounts aggregate: the paying tenant, its users, API tokens, sites and AI settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from igny8.extensions import db
from igny8.models.base import ZERO, Credits, UTCDateTime, utcnow


class Account(db.Model):
    """A tenant: owns users, sites and a prepaid credit balance."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_balance: Mapped[Decimal] = mapped_column(Credits, default=ZERO)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="account")


class User(UserMixin, db.Model):
    """A person who signs in; belongs to exactly one account."""

    __tablename__ = "users"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    last_site_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="users")


class ApiToken(db.Model):
    """A bearer token; only the SHA-256 of the secret is stored."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="api")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class Site(db.Model):
    """A website an account produces content for; the unit of automation."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(253), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntegrationSettings(db.Model):
    """Per-account AI provider settings; the API key is stored encrypted."""

    __table_args__ = (UniqueConstraint("account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32), default="auto")
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    api_key_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Chat model per AI function: {"clustering": "...", "ideas": ..., "content": ..., "image_prompts": ...}
    models: Mapped[dict] = mapped_column(JSON, default=dict)
    image_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    image_model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    image_size: Mapped[str] = mapped_column(String(20), default="1024x1024")
    runware_api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_timeout: Mapped[int] = mapped_column(Integer, default=120)
    max_retries: Mapped[int] = mapped_column(Integer, default=2)
    # What the server proved to support at "test connection" (e.g. json_schema or json_object).
    capabilities: Mapped[dict] = mapped_column(JSON, default=dict)
    prompt_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
