"""Request-body validation with pydantic: strict types, unknown fields refused, field messages."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from igny8.api.errors import ApiError, validation_error
from igny8.services.inputs import Body  # noqa: F401  (the base of every request body)

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """pydantic errors → {"a.0.b": "message"}."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        fields.setdefault(loc, msg.removeprefix("Value error, "))
    return fields


def json_body() -> dict:
    """The request's JSON object, or a 400 naming what is wrong with it."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raw = request.get_data(cache=True)
        if not raw:
            raise ApiError(400, "validation_error", "A JSON body is required", {"body": "required"})
        raise ApiError(400, "validation_error", "Malformed JSON body", {"body": "malformed JSON"})
    if not isinstance(data, dict):
        raise ApiError(400, "validation_error", "The JSON body must be an object", {"body": "must be an object"})
    return data


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against ``model``; 400 validation_error with fields otherwise."""
    try:
        return model.model_validate(json_body())
    except ValidationError as exc:
        raise validation_error(field_errors(exc)) from None


def parse_query(model: type[M]) -> M:
    """Validate query parameters (strings from the URL, so coercion is allowed here)."""
    try:
        return model.model_validate(request.args.to_dict(), strict=False)
    except ValidationError as exc:
        raise validation_error(field_errors(exc)) from None
