"""Per-account AI integration settings: which provider, key, base URL, models, images.

Keys are stored encrypted and never returned (only their last four characters). Environment
variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_MODEL``, ``OPENAI_IMAGE_MODEL``)
give the defaults; with no key anywhere the offline provider runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from igny8.extensions import db
from igny8.models import IntegrationSettings
from igny8.models.base import isoformat, utcnow
from igny8.services.secrets_box import decrypt, encrypt

PROVIDERS = ("auto", "offline", "openai")
IMAGE_PROVIDERS = ("auto", "offline", "openai", "runware")
FUNCTIONS = ("clustering", "ideas", "content", "image_prompts")
RESPONSE_FORMATS = ("json_schema", "json_object", "text")


class IntegrationError(ValueError):
    """A setting that cannot be saved, with the field it concerns."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class Effective:
    """The settings a job uses, after account values and environment defaults are merged."""

    provider: str  # openai | offline
    api_key: str | None
    base_url: str | None
    models: dict[str, str]
    image_provider: str  # openai | runware | offline
    image_model: str
    image_size: str
    runware_api_key: str | None
    runware_base_url: str
    timeout: int
    max_retries: int
    response_format: str = "json_schema"
    prompt_overrides: dict = field(default_factory=dict)


def get_settings(account_id: int) -> IntegrationSettings:
    """The account's settings row, created on first read."""
    row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))
    if row is None:
        row = IntegrationSettings(account_id=account_id, provider="auto", models={}, capabilities={},
                                  prompt_overrides={}, image_size=current_app.config.get("IMAGE_SIZE", "1024x1024"))
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))
    return row


def effective(account_id: int, row: IntegrationSettings | None = None) -> Effective:
    """Merge the account's settings with the environment's defaults."""
    config = current_app.config
    row = row or get_settings(account_id)
    key = decrypt(row.api_key_encrypted) or config.get("OPENAI_API_KEY")
    provider = row.provider or "auto"
    if provider == "auto":
        provider = "openai" if key else "offline"
    default_model = config.get("OPENAI_MODEL") or "gpt-4o-mini"
    models = {f: (row.models or {}).get(f) or default_model for f in FUNCTIONS}
    runware_key = decrypt(row.runware_api_key_encrypted) or config.get("RUNWARE_API_KEY")
    image_provider = row.image_provider or "auto"
    if image_provider == "auto":
        image_provider = "openai" if provider == "openai" else "offline"
    image_model = row.image_model or (config.get("RUNWARE_MODEL") if image_provider == "runware"
                                      else config.get("OPENAI_IMAGE_MODEL"))
    return Effective(
        provider=provider, api_key=key, base_url=row.base_url or config.get("OPENAI_BASE_URL"), models=models,
        image_provider=image_provider, image_model=image_model or "gpt-image-1",
        image_size=row.image_size or config.get("IMAGE_SIZE", "1024x1024"), runware_api_key=runware_key,
        runware_base_url=config.get("RUNWARE_BASE_URL"), timeout=row.request_timeout or 120,
        max_retries=row.max_retries if row.max_retries is not None else 2,
        response_format=(row.capabilities or {}).get("response_format", "json_schema"),
        prompt_overrides=dict(row.prompt_overrides or {}),
    )


def settings_json(row: IntegrationSettings) -> dict:
    """What the API and the page show: never a key, only its last four characters."""
    eff = effective(row.account_id, row)
    return {
        "provider": row.provider, "effective_provider": eff.provider,
        "has_api_key": bool(row.api_key_encrypted), "api_key_last4": row.api_key_last4,
        "uses_environment_key": not row.api_key_encrypted and bool(current_app.config.get("OPENAI_API_KEY")),
        "base_url": row.base_url, "effective_base_url": eff.base_url, "models": dict(row.models or {}),
        "effective_models": eff.models, "image_provider": row.image_provider or "auto",
        "effective_image_provider": eff.image_provider, "image_model": row.image_model,
        "effective_image_model": eff.image_model, "image_size": row.image_size,
        "request_timeout": row.request_timeout, "max_retries": row.max_retries,
        "has_runware_key": bool(row.runware_api_key_encrypted), "capabilities": dict(row.capabilities or {}),
        "prompt_overrides": dict(row.prompt_overrides or {}), "updated_at": isoformat(row.updated_at),
    }


def update_settings(account_id: int, changes: dict) -> IntegrationSettings:
    """Apply validated changes; keys are encrypted, "" clears a key."""
    row = get_settings(account_id)
    for name, value in changes.items():
        if name in ("api_key", "runware_api_key"):
            column = "api_key_encrypted" if name == "api_key" else "runware_api_key_encrypted"
            value = (value or "").strip()
            setattr(row, column, encrypt(value) if value else None)
            if name == "api_key":
                row.api_key_last4 = value[-4:] if value else None
                row.capabilities = {}  # a new key may mean a new server: probe again
        elif name == "models":
            unknown = set(value) - set(FUNCTIONS)
            if unknown:
                raise IntegrationError("models", f"unknown AI function(s): {', '.join(sorted(unknown))}")
            row.models = {k: v for k, v in value.items() if v}
        elif name == "prompt_overrides":
            unknown = set(value) - set(FUNCTIONS)
            if unknown:
                raise IntegrationError("prompt_overrides", f"unknown AI function(s): {', '.join(sorted(unknown))}")
            row.prompt_overrides = {k: v for k, v in value.items() if v}
        elif name == "base_url":
            row.base_url = value or None
            row.capabilities = {}
        else:
            setattr(row, name, value)
    if (row.image_provider == "runware") and not (row.runware_api_key_encrypted or
                                                  current_app.config.get("RUNWARE_API_KEY")):
        raise IntegrationError("runware_api_key", "Runware needs an API key")
    db.session.commit()
    return row


def test_connection(account_id: int) -> dict:
    """Call the configured server once and record which structured-output mode it supports."""
    from igny8.ai.base import AIError
    from igny8.ai.openai_provider import OpenAIProvider

    row = get_settings(account_id)
    eff = effective(account_id, row)
    if eff.provider != "openai":
        return {"ok": True, "provider": "offline", "model": "offline", "latency_ms": 0,
                "structured_outputs": "not needed", "error": None}
    if not eff.api_key:
        return {"ok": False, "provider": "openai", "model": eff.models["clustering"], "latency_ms": 0,
                "structured_outputs": None, "error": "No API key is set"}
    started = time.monotonic()
    try:
        mode = OpenAIProvider(eff).probe()
    except AIError as exc:
        return {"ok": False, "provider": "openai", "model": eff.models["clustering"],
                "latency_ms": int((time.monotonic() - started) * 1000), "structured_outputs": None,
                "error": exc.reason}
    row.capabilities = {"response_format": mode, "checked_at": isoformat(utcnow())}
    db.session.commit()
    return {"ok": True, "provider": "openai", "model": eff.models["clustering"],
            "latency_ms": int((time.monotonic() - started) * 1000), "structured_outputs": mode, "error": None}
