"""Validated inputs shared by the JSON API and the pages (one set of rules for both).

Strict pydantic models: no coercion of wrong types, unknown fields refused.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Body(BaseModel):
    """Base of every request body: no coercion of wrong types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


BatchSize = Field(default=None, ge=1, le=100)
Delay = Field(default=None, ge=0, le=3600)


class ConfigUpdate(Body):
    """Any subset of the config fields."""

    is_enabled: bool | None = None
    frequency: Literal["daily", "weekly", "monthly"] | None = None
    scheduled_time: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str | None = None
    stage_1_batch_size: int | None = BatchSize
    stage_2_batch_size: int | None = BatchSize
    stage_3_batch_size: int | None = BatchSize
    stage_4_batch_size: int | None = BatchSize
    stage_5_batch_size: int | None = BatchSize
    stage_6_batch_size: int | None = BatchSize
    within_stage_delay: int | None = Delay
    between_stage_delay: int | None = Delay
    ai_concurrency: int | None = Field(default=None, ge=1, le=32)

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        """IANA names only."""
        if value is not None and value not in available_timezones():
            raise ValueError("unknown time zone (use an IANA name such as Europe/London)")
        return value


ModelName = Field(default=None, max_length=200)
NULLABLE = ("api_key", "runware_api_key", "base_url", "image_model")


class ModelsIn(Body):
    """A chat model per AI function (empty string = use the default)."""

    clustering: str | None = ModelName
    ideas: str | None = ModelName
    content: str | None = ModelName
    image_prompts: str | None = ModelName


class PromptsIn(Body):
    """Prompt template overrides per AI function (empty string = the built-in prompt)."""

    clustering: str | None = Field(default=None, max_length=20000)
    ideas: str | None = Field(default=None, max_length=20000)
    content: str | None = Field(default=None, max_length=20000)
    image_prompts: str | None = Field(default=None, max_length=20000)


class IntegrationUpdate(Body):
    """Any subset of the integration settings."""

    provider: Literal["auto", "offline", "openai"] | None = None
    api_key: str | None = Field(default=None, max_length=500)
    base_url: str | None = Field(default=None, max_length=500)
    models: ModelsIn | None = None
    image_provider: Literal["auto", "offline", "openai", "runware"] | None = None
    image_model: str | None = Field(default=None, max_length=100)
    image_size: str | None = Field(default=None, pattern=r"^\d{3,4}x\d{3,4}$")
    runware_api_key: str | None = Field(default=None, max_length=500)
    request_timeout: int | None = Field(default=None, ge=5, le=900)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    prompt_overrides: PromptsIn | None = None

    @field_validator("base_url")
    @classmethod
    def http_url(cls, value: str | None) -> str | None:
        """An http(s) URL, or empty for the default."""
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value
