"""Planner: keywords (list, bulk create, CSV import), clusters and ideas."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, jsonify, request
from pydantic import Field

from igny8.api import bp
from igny8.api.errors import ApiError, validation_error
from igny8.api.lists import ClusterQuery, IdeaQuery, KeywordQuery, page_response
from igny8.api.serializers import cluster_json, idea_json, keyword_json
from igny8.api.validation import Body, parse_body, parse_query
from igny8.auth.scoping import get_scoped, site_from_request
from igny8.models import Cluster, ContentIdea
from igny8.services.keyword_import import ImportFileError, parse_keyword_file
from igny8.services.keywords import KeywordRow, add_keywords, check_row, normalize_intent
from igny8.services.listing import cluster_keywords, keyword_query, status_query

MAX_KEYWORDS_PER_REQUEST = 10_000


class KeywordIn(Body):
    """One keyword of a bulk create."""

    keyword: str = Field(min_length=1)
    volume: int | None = None
    difficulty: int | None = None
    cpc: float | None = None
    intent: str | None = None


class KeywordsCreate(Body):
    """``{"keywords": [...]}``."""

    keywords: list[KeywordIn] = Field(min_length=1, max_length=MAX_KEYWORDS_PER_REQUEST)


@bp.get("/planner/keywords/")
def keywords_list():
    """A site's keywords, filtered and paginated."""
    site = site_from_request()
    params = parse_query(KeywordQuery)
    query = keyword_query(
        site.id, status=params.status, cluster_id=params.cluster_id, search=params.search,
        intent=params.intent, disabled=params.disabled, ordering=params.ordering,
    )
    return page_response(query, params, keyword_json)


@bp.post("/planner/keywords/")
def keywords_create():
    """Bulk create; any invalid keyword rejects the whole request with field messages."""
    site = site_from_request()
    body = parse_body(KeywordsCreate)
    rows, fields = [], {}
    max_length = current_app.config["KEYWORD_MAX_LENGTH"]
    for index, item in enumerate(body.keywords):
        row = KeywordRow(
            keyword=item.keyword, volume=item.volume, difficulty=item.difficulty,
            cpc=Decimal(str(item.cpc)) if item.cpc is not None else None, row=index,
        )
        errors = check_row(row, max_length)
        try:
            row.intent = normalize_intent(item.intent)
        except ValueError as exc:
            errors["intent"] = str(exc)
        fields.update({f"keywords.{index}.{name}": message for name, message in errors.items()})
        rows.append(row)
    if fields:
        raise validation_error(fields, "Some keywords are invalid; nothing was saved")
    return jsonify(add_keywords(site, rows, source="api").as_dict()), 201


@bp.post("/planner/keywords/import")
def keywords_import():
    """CSV upload: good rows imported, bad rows reported, duplicates counted."""
    site = site_from_request()
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "missing_parameter", "Upload a CSV file in the 'file' field", {"file": "required"})
    try:
        parsed = parse_keyword_file(
            upload.read(), max_rows=current_app.config["IMPORT_MAX_ROWS"],
            max_keyword_length=current_app.config["KEYWORD_MAX_LENGTH"],
        )
    except ImportFileError as exc:
        raise validation_error({"file": exc.message}, exc.message) from None
    result = add_keywords(site, parsed.rows, source=(upload.filename or "upload")[:255])
    result.errors = parsed.errors
    return jsonify(
        **result.as_dict(), total_rows=parsed.total_rows, encoding=parsed.encoding,
        delimiter=parsed.delimiter, columns=parsed.columns,
    ), 201


@bp.get("/planner/clusters/")
def clusters_list():
    """A site's clusters."""
    site = site_from_request()
    params = parse_query(ClusterQuery)
    return page_response(status_query(Cluster, site.id, params.status), params, cluster_json)


@bp.get("/planner/clusters/<int:cluster_id>")
def clusters_detail(cluster_id: int):
    """One cluster with its keywords."""
    cluster = get_scoped(Cluster, cluster_id)
    return jsonify(**cluster_json(cluster), keywords=[keyword_json(k) for k in cluster_keywords(cluster)])


@bp.get("/planner/ideas/")
def ideas_list():
    """A site's content ideas with their outlines."""
    site = site_from_request()
    params = parse_query(IdeaQuery)
    query = status_query(ContentIdea, site.id, params.status, cluster_id=params.cluster_id)
    return page_response(query, params, idea_json)


@bp.get("/planner/ideas/<int:idea_id>")
def ideas_detail(idea_id: int):
    """One idea."""
    return jsonify(idea_json(get_scoped(ContentIdea, idea_id, "Idea")))
