"""Sites: ``GET/POST /api/v1/sites/``."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import jsonify
from flask_login import current_user
from pydantic import Field, field_validator

from igny8.api import bp
from igny8.api.serializers import site_json
from igny8.api.validation import Body, parse_body
from igny8.auth.scoping import get_site
from igny8.services.accounts import create_site, list_sites


class SiteCreate(Body):
    """A new site."""

    name: str = Field(min_length=1, max_length=200)
    domain: str | None = Field(default=None, max_length=253)
    timezone: str = Field(default="UTC", max_length=64)

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        """Only IANA zone names."""
        if value not in available_timezones():
            raise ValueError("unknown time zone (use an IANA name such as Europe/London)")
        return value


@bp.get("/sites/")
def sites_list():
    """The account's sites."""
    results = [site_json(s) for s in list_sites(current_user.account_id)]
    return jsonify(count=len(results), results=results)


@bp.post("/sites/")
def sites_create():
    """Create a site → 201."""
    body = parse_body(SiteCreate)
    site = create_site(current_user.account_id, body.name, body.domain, body.timezone)
    return jsonify(site_json(site)), 201


@bp.get("/sites/<int:site_id>")
def sites_detail(site_id: int):
    """One site of the account."""
    return jsonify(site_json(get_site(site_id)))
