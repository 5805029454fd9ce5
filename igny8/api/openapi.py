"""The OpenAPI 3 description served at /api/v1/openapi.json."""

from __future__ import annotations

from flask import jsonify

from igny8.api import bp
from igny8.api.openapi_spec import build_spec


@bp.get("/openapi.json")
def openapi_json():
    """The API description (public, so tools can discover the API)."""
    return jsonify(build_spec())
