"""Builds the OpenAPI document (completed alongside the routes)."""


def build_spec() -> dict:
    """The OpenAPI 3.1 document."""
    return {"openapi": "3.1.0", "info": {"title": "IGNY8 Automation API", "version": "1"}, "paths": {}}
