"""The OpenAPI 3.1 description of the JSON API, served at ``GET /api/v1/openapi.json``.

The document is assembled from plain data: one ``Resource`` per tag, listed in ``RESOURCES``
at the bottom of this module. A resource holds

- ``schemas``: its response objects, written by hand as JSON Schema dicts, one per serializer
  function in ``serializers.py`` (automation: the builders in ``igny8/automation/service.py``;
  settings: ``integrations.settings_json``; billing: ``settings.ledger_json``).
  Each lists every key the serializer emits as ``required``
  and sets ``additionalProperties: false``; nullable fields use the 3.1 form
  ``{"type": ["string", "null"]}``. Build them with ``_object``/``_nullable``/``_page_of``.
- ``operations``: one ``Operation`` per Flask route. Its ``endpoint`` is the view function's
  name (``api.<endpoint>`` in ``app.url_map``) and becomes the operationId. ``query`` and
  ``body`` name the pydantic models the handler validates with (``"module:Class"``); their
  JSON Schemas are generated here, so the description cannot drift from validation. The
  401/404/400/413 answers that follow from the operation's shape (authenticated, path ids,
  ``site_id``, a query model, a body, a session-auth unsafe method) are added by ``_errors``;
  parameters a handler reads by hand (``run_id``, ``lines``) go in ``parameters`` and their
  errors, like any other answer, in ``extra_errors``.

Adding routes: add their response schemas and operations to their ``Resource`` (or write a new
one and append it to ``RESOURCES``); nothing else here changes. ``tests/test_openapi.py`` fails
until every route of the ``api`` blueprint is documented, and exercises every documented status
against the code.

The handler modules are imported only when the document is first built (then cached), so
importing this module pulls in nothing beyond what the ``api`` blueprint itself imports, and
never any worker code.
"""

from __future__ import annotations

import copy
import functools
import importlib
import re
from dataclasses import dataclass, field

from igny8.services.integrations import FUNCTIONS, IMAGE_PROVIDERS, PROVIDERS, RESPONSE_FORMATS
from igny8.services.pagination import MAX_PAGE_SIZE

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"

INFO_DESCRIPTION = """\
JSON API of IGNY8 Automation: keywords → clusters → ideas → tasks → reviewed articles with images.

**Authentication.** Send `Authorization: Bearer <token>` (get one from `POST /api/v1/auth/token`
or `flask create-token`), or use the browser session cookie of a signed-in user. A session
request with an unsafe method (POST/PUT/DELETE) must also send the page's CSRF token (the
`csrf-token` meta tag) in an `X-CSRFToken` header, otherwise it is refused with 400
`csrf_failed`; bearer requests need no CSRF token. No authentication → 401 `unauthorized`.

**Tenancy.** Everything is scoped to the caller's account. A site or object of another
account is answered exactly like a missing one: 404 `not_found`.

**Errors** are JSON: `{"error": "<human message>", "code": "<machine code>"}` plus, for
`validation_error` and `missing_parameter`, `"fields": {"<field>": "<message>"}`. Field names
of nested body items are dotted paths such as `keywords.3.volume`. Malformed JSON or wrong
types are 400, never 500. Bodies larger than `MAX_UPLOAD_MB` (default 20 MB) → 413
`payload_too_large`.

**Automation** calls name a site with `site_id` and a run with `run_id` (a string such as
`run_20261129_015146_846ec4`); a missing `run_id` → 400 `missing_parameter`, a run of another
account (or, with `site_id`, of another site) → 404 `not_found`. Refusals that depend on the
run or the balance are 400 with `invalid_state`, `already_running` or `insufficient_credits`.
Credit amounts are JSON numbers (decimals with up to four places).

**Lists** of site objects and the credit ledger are paginated: `page` (from 1) and `page_size`
(1–200, default 50) parameters, answered with `{"count", "page", "page_size", "results"}` where
`count` is the total of the filtered list. Unknown query parameters are ignored.

**Conventions.** Timestamps are ISO 8601 UTC with a `Z` suffix. Paths work with and without a
trailing slash; this document uses the form the server registers.
"""

# ---------------------------------------------------------------------------------------------
# Schema building blocks
# ---------------------------------------------------------------------------------------------

ID = {"type": "integer", "minimum": 1}
# isoformat() in igny8.models.base always emits UTC with a Z; the pattern lets the contract
# tests notice if a naive or offset timestamp ever slips through.
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN}
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}


def _ref(name: str) -> dict:
    """A reference to ``components.schemas[name]``."""
    return {"$ref": REF.format(model=name)}


def _nullable(schema: dict) -> dict:
    """``schema`` that also admits JSON null, in the 3.1 type-array form."""
    out = dict(schema)
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    out["type"] = [out["type"], "null"]
    return out


def _enum(*values: str) -> dict:
    """A string restricted to ``values``."""
    return {"type": "string", "enum": list(values)}


def _object(properties: dict, description: str = "", optional: tuple[str, ...] = ()) -> dict:
    """A closed object whose properties are all present but ``optional`` (serializers emit every key)."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _page_of(item: str) -> dict:
    """The paginated list envelope of ``lists.page_response``."""
    return _object({
        "count": {"type": "integer", "minimum": 0, "description": "Total of the filtered list, all pages."},
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "results": {"type": "array", "items": _ref(item)},
    }, f"One page of {item} objects.")


def _list_of(item: str) -> dict:
    """The unpaginated list envelope (short, account-wide lists: sites, tokens)."""
    return _object({
        "count": {"type": "integer", "minimum": 0},
        "results": {"type": "array", "items": _ref(item)},
    }, f"Every {item} of the account (not paginated).")


PROVENANCE = {
    "provider": _nullable({**STRING, "description": "AI provider that produced the record (`offline` for the "
                                                    "built-in provider); null until produced."}),
    "model": _nullable({**STRING, "description": "Model that produced the record."}),
}
ERROR_FIELD = {"error": _nullable({**STRING, "description": "Why the last pipeline attempt on this item failed."})}

# ---------------------------------------------------------------------------------------------
# The data model of the document
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCase:
    """One way an operation fails: status, machine code and when it happens."""

    status: int
    code: str
    when: str


@dataclass(frozen=True)
class Operation:
    """One route of the ``api`` blueprint, described as data."""

    endpoint: str  # view function name: the Flask endpoint is "api." + endpoint; also the operationId
    method: str  # lower case HTTP method
    path: str  # under /api/v1, exactly as registered (trailing slash included), ids as {name}
    summary: str
    description: str = ""
    status: int = 200  # the success status
    response: str | dict | None = None  # component name or inline schema of the success body; None: no body
    response_description: str = "Success."
    public: bool = False  # reachable without authentication (api.PUBLIC_ENDPOINTS)
    site_scoped: bool = False  # handler calls site_from_request(): required site_id query parameter
    query: str | None = None  # "module:Model" given to parse_query()
    body: str | None = None  # "module:Model" given to parse_body()
    parameters: tuple[dict, ...] = ()  # Parameter Objects read by hand (e.g. run_id); their errors go in extra_errors
    upload: dict | None = None  # multipart/form-data schema of an upload
    extra_errors: tuple[ErrorCase, ...] = ()


@dataclass(frozen=True)
class Resource:
    """A tag: its response schemas and its operations."""

    tag: str
    description: str
    schemas: dict = field(default_factory=dict)
    operations: tuple[Operation, ...] = ()


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------

ERROR_SCHEMA = _object({
    "error": {**STRING, "description": "Human-readable message."},
    "code": {**STRING, "description": "Machine code: `unauthorized`, `missing_parameter`, `not_found`, "
                                      "`validation_error`, `invalid_state`, `already_running`, "
                                      "`insufficient_credits`, `queue_unavailable`, `csrf_failed`, "
                                      "`payload_too_large`, `rate_limited`, `method_not_allowed`, …"},
    "fields": {
        "type": "object",
        "additionalProperties": STRING,
        "description": "Field → message, for `validation_error` and `missing_parameter`.",
    },
}, "Every error answer of the API.", optional=("fields",))

# Schemas every resource refers to.
SHARED_SCHEMAS = {"Error": ERROR_SCHEMA}

META = Resource(
    tag="Meta",
    description="The API description itself.",
    operations=(
        Operation(
            endpoint="openapi_json", method="get", path="/openapi.json", public=True,
            summary="This OpenAPI 3.1 document",
            response={
                "type": "object",
                "required": ["openapi", "info", "paths"],
                "properties": {"openapi": {"const": OPENAPI_VERSION}},
            },
            response_description="The OpenAPI document.",
        ),
    ),
)

AUTH = Resource(
    tag="Auth",
    description="API tokens: exchange credentials for a bearer token, list and revoke the account's tokens.",
    schemas={
        "TokenCreated": _object({
            "token": {**STRING, "description": "The bearer secret. Shown only this once; only its hash is stored."},
        }),
        "Token": _object({
            "id": ID,
            "name": STRING,
            "prefix": {**STRING, "description": "The first characters of the secret, to recognise it."},
            "created_at": TIMESTAMP,
            "last_used_at": _nullable(TIMESTAMP),
            "revoked_at": _nullable(TIMESTAMP),
        }, "A token's metadata (never its secret)."),
        "TokenList": _list_of("Token"),
    },
    operations=(
        Operation(
            endpoint="create_auth_token", method="post", path="/auth/token", public=True,
            summary="Exchange email and password for a bearer token",
            description="Rate limited to 10 requests a minute per client address.",
            body="igny8.api.auth:TokenRequest", status=201, response="TokenCreated",
            response_description="A new token for the user.",
            extra_errors=(
                ErrorCase(401, "unauthorized", "The email or the password is wrong."),
                ErrorCase(429, "rate_limited", "More than 10 attempts a minute from this address."),
            ),
        ),
        Operation(
            endpoint="list_tokens", method="get", path="/auth/tokens",
            summary="The account's tokens, revoked ones included", response="TokenList",
        ),
        Operation(
            endpoint="delete_token", method="delete", path="/auth/tokens/{token_id}",
            summary="Revoke a token of the account",
            description="Idempotent: revoking a revoked token answers 204 again.",
            status=204, response_description="Revoked.",
        ),
    ),
)

SITE = _object({
    "id": ID,
    "name": STRING,
    "domain": _nullable(STRING),
    "timezone": {**STRING, "description": "IANA time zone name, e.g. `Europe/London`."},
    "created_at": TIMESTAMP,
}, "A website the account produces content for.")

SITES = Resource(
    tag="Sites",
    description="The account's websites; every Planner and Writer object belongs to one.",
    schemas={"Site": SITE, "SiteList": _list_of("Site")},
    operations=(
        Operation(endpoint="sites_list", method="get", path="/sites/", summary="The account's sites",
                  response="SiteList"),
        Operation(
            endpoint="sites_create", method="post", path="/sites/", summary="Create a site",
            description="`timezone` must be an IANA zone name (default `UTC`).",
            body="igny8.api.sites:SiteCreate", status=201, response="Site", response_description="The new site.",
        ),
        Operation(endpoint="sites_detail", method="get", path="/sites/{site_id}", summary="One site",
                  response="Site"),
    ),
)

KEYWORD_STATUS = ("new", "mapped")
INTENT = ("informational", "commercial", "transactional", "navigational")

KEYWORD = _object({
    "id": ID,
    "site_id": ID,
    "keyword": {**STRING, "description": "As entered, trimmed and with runs of spaces collapsed."},
    "volume": _nullable({"type": "integer", "minimum": 0}),
    "difficulty": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
    "cpc": _nullable({"type": "number", "minimum": 0}),
    "intent": _nullable(_enum(*INTENT)),
    "status": _enum(*KEYWORD_STATUS),
    "cluster_id": _nullable(ID),
    "disabled": BOOLEAN,
    **ERROR_FIELD,
    "created_at": TIMESTAMP,
}, "A search term of a site with its metrics.")

ROW_ERROR = _object({
    "row": {"type": "integer", "minimum": 1, "description": "Line of the uploaded file (the header is line 1)."},
    "error": STRING,
}, "A rejected input row.")

ADD_RESULT_PROPERTIES = {
    "created": {"type": "integer", "minimum": 0},
    "duplicates": {"type": "integer", "minimum": 0,
                   "description": "Rows whose normalised keyword (trimmed, spaces collapsed, lower case) already "
                                  "exists for the site or appears earlier in the input."},
    "errors": {"type": "array", "items": _ref("RowError"),
               "description": "Rejected rows. Always empty for the JSON create, which rejects the whole request "
                              "instead."},
}

KEYWORDS_CREATE_RULES = """\
Any invalid item rejects the whole request (400 `validation_error`, `fields` keyed
`keywords.<index>.<field>`) and nothing is saved. Beyond the body schema: `keyword` is at most
`KEYWORD_MAX_LENGTH` (200) characters after collapsing spaces; `volume` ≥ 0 (and below 2³¹); `difficulty` 0–100;
`cpc` 0–99,999,999.99; `intent` is one of informational, commercial, transactional,
navigational (case-insensitive; in a list such as `"Commercial, Informational"` the first
wins; `n/a`, `-` and empty mean none). Values are strictly typed: `"100"` is not a number and
`100.0` is not an integer. Keywords are unique per site after trimming, collapsing spaces and
lowercasing; repeats count as `duplicates`."""

IMPORT_RULES = """\
Upload a keyword export in the multipart field `file`. The encoding (UTF-8 with or without BOM,
UTF-16, legacy ones such as Windows-1252) and the delimiter (comma, tab or semicolon; with a
semicolon, numbers use decimal commas) are detected. Column names of the common exports are
recognised (Keyword/Query, Volume/Search Volume, KD/Keyword Difficulty/Difficulty, CPC, Intent);
a file of one column without a header is a plain keyword list. Bad rows are reported in `errors`
and the good rows are still imported; an unknown intent is dropped, not an error. A file that is
not a text table (a spreadsheet, an image, an archive…), has no keyword column, no rows, or more
than `IMPORT_MAX_ROWS` rows (default 100,000) is refused as a whole with 400 `validation_error`
(`fields.file`) and nothing is imported."""

KEYWORDS = Resource(
    tag="Keywords",
    description="Planner keywords: list, bulk create and CSV import.",
    schemas={
        "Keyword": KEYWORD,
        "KeywordPage": _page_of("Keyword"),
        "RowError": ROW_ERROR,
        "KeywordAddResult": _object(ADD_RESULT_PROPERTIES, "What adding keywords did."),
        "ImportResult": _object({
            **ADD_RESULT_PROPERTIES,
            "total_rows": {"type": "integer", "minimum": 1, "description": "Data rows read (header excluded)."},
            "encoding": {**STRING, "description": "The detected text encoding."},
            "delimiter": {**STRING, "minLength": 1, "maxLength": 1},
            "columns": {
                "type": "object",
                "description": "Which column of the file fed each field: field → header text, or "
                               "`(no header)` for a headerless list.",
                "propertyNames": _enum("keyword", "volume", "difficulty", "cpc", "intent"),
                "additionalProperties": STRING,
                "required": ["keyword"],
            },
        }, "What a CSV import did, and how the file was read."),
    },
    operations=(
        Operation(
            endpoint="keywords_list", method="get", path="/planner/keywords/", site_scoped=True,
            query="igny8.api.lists:KeywordQuery", summary="A site's keywords, filtered and paginated",
            response="KeywordPage",
        ),
        Operation(
            endpoint="keywords_create", method="post", path="/planner/keywords/", site_scoped=True,
            body="igny8.api.planner:KeywordsCreate", summary="Add keywords in bulk",
            description=KEYWORDS_CREATE_RULES, status=201, response="KeywordAddResult",
            response_description="Counts of created and duplicate keywords.",
        ),
        Operation(
            endpoint="keywords_import", method="post", path="/planner/keywords/import", site_scoped=True,
            summary="Import keywords from a CSV export", description=IMPORT_RULES,
            upload={
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "contentMediaType": "text/csv",
                                        "description": "The CSV file."}},
            },
            status=201, response="ImportResult", response_description="The import's counts and rejected rows.",
            extra_errors=(
                ErrorCase(400, "missing_parameter", "No `file` field in the upload."),
                ErrorCase(400, "validation_error", "The file cannot be imported as a whole (see the description)."),
            ),
        ),
    ),
)

CLUSTER = _object({
    "id": ID,
    "site_id": ID,
    "name": STRING,
    "description": _nullable(STRING),
    "status": _enum(*KEYWORD_STATUS),
    "disabled": BOOLEAN,
    "keyword_count": {"type": "integer", "minimum": 0},
    "total_volume": {"type": "integer", "minimum": 0},
    **PROVENANCE,
    **ERROR_FIELD,
    "created_at": TIMESTAMP,
}, "A topic: related keywords one article can target.")

CLUSTERS = Resource(
    tag="Clusters",
    description="Planner clusters of keywords.",
    schemas={
        "Cluster": CLUSTER,
        "ClusterWithKeywords": _object(
            {**CLUSTER["properties"],
             "keywords": {"type": "array", "items": _ref("Keyword"), "description": "Highest volume first."}},
            "A cluster with its keywords.",
        ),
        "ClusterPage": _page_of("Cluster"),
    },
    operations=(
        Operation(endpoint="clusters_list", method="get", path="/planner/clusters/", site_scoped=True,
                  query="igny8.api.lists:ClusterQuery", summary="A site's clusters", response="ClusterPage"),
        Operation(endpoint="clusters_detail", method="get", path="/planner/clusters/{cluster_id}",
                  summary="One cluster with its keywords", response="ClusterWithKeywords"),
    ),
)

IDEAS = Resource(
    tag="Ideas",
    description="Planner content ideas, each with its outline.",
    schemas={
        "OutlineSection": _object({
            "heading": STRING,
            "keywords": STRINGS,
            "word_budget": {"type": "integer", "minimum": 0},
        }, "One section of an idea's outline."),
        "Idea": _object({
            "id": ID,
            "site_id": ID,
            "cluster_id": ID,
            "title": STRING,
            "description": _nullable(STRING),
            "content_structure": {**STRING, "description": "e.g. `guide`."},
            "content_type": {**STRING, "description": "e.g. `post`."},
            "primary_keyword": _nullable(STRING),
            "outline": {"type": "array", "items": _ref("OutlineSection")},
            "target_words": {"type": "integer", "minimum": 0},
            "status": _enum("new", "queued", "completed"),
            **PROVENANCE,
            **ERROR_FIELD,
            "created_at": TIMESTAMP,
        }, "An article idea for a cluster."),
        "IdeaPage": _page_of("Idea"),
    },
    operations=(
        Operation(endpoint="ideas_list", method="get", path="/planner/ideas/", site_scoped=True,
                  query="igny8.api.lists:IdeaQuery", summary="A site's ideas", response="IdeaPage"),
        Operation(endpoint="ideas_detail", method="get", path="/planner/ideas/{idea_id}", summary="One idea",
                  response="Idea"),
    ),
)

TASKS = Resource(
    tag="Tasks",
    description="Writer tasks: one writing job per idea.",
    schemas={
        "Task": _object({
            "id": ID,
            "site_id": ID,
            "idea_id": _nullable(ID),
            "cluster_id": _nullable(ID),
            "title": STRING,
            "primary_keyword": _nullable(STRING),
            "keywords": STRINGS,
            "target_words": {"type": "integer", "minimum": 0},
            "status": _enum("queued", "in_progress", "completed", "failed"),
            **ERROR_FIELD,
            "created_at": TIMESTAMP,
        }, "A writing task."),
        "TaskPage": _page_of("Task"),
    },
    operations=(
        Operation(endpoint="tasks_list", method="get", path="/writer/tasks/", site_scoped=True,
                  query="igny8.api.lists:TaskQuery", summary="A site's tasks", response="TaskPage"),
        Operation(endpoint="tasks_detail", method="get", path="/writer/tasks/{task_id}", summary="One task",
                  response="Task"),
    ),
)

IMAGE = _object({
    "id": ID,
    "site_id": ID,
    "content_id": ID,
    "kind": _enum("featured", "in_article"),
    "position": {"type": "integer", "minimum": 0},
    "prompt": STRING,
    "alt_text": _nullable(STRING),
    "status": _enum("pending", "generated", "failed"),
    "url": _nullable({**STRING, "description": "Path of the generated file under `/media/`; null until generated."}),
    "width": _nullable(INTEGER),
    "height": _nullable(INTEGER),
    **PROVENANCE,
    **ERROR_FIELD,
    "created_at": TIMESTAMP,
}, "An image slot of an article: prompt first, file once generated.")

CONTENT = _object({
    "id": ID,
    "site_id": ID,
    "task_id": _nullable(ID),
    "title": STRING,
    "meta_title": _nullable(STRING),
    "meta_description": _nullable(STRING),
    "primary_keyword": _nullable(STRING),
    "secondary_keywords": STRINGS,
    "word_count": {"type": "integer", "minimum": 0},
    "status": _enum("draft", "review", "approved", "rejected"),
    "reject_reason": _nullable(STRING),
    "reviewed_at": _nullable(TIMESTAMP),
    **PROVENANCE,
    **ERROR_FIELD,
    "created_at": TIMESTAMP,
}, "An article, without its HTML (see ContentDetail).")

INVALID_STATE = ErrorCase(400, "invalid_state", "The content is not in `review`.")

CONTENTS = Resource(
    tag="Content",
    description="Writer articles and the human review gate (approve or reject content in `review`).",
    schemas={
        "Content": CONTENT,
        "ContentDetail": _object(
            {**CONTENT["properties"], "html": STRING, "images": {"type": "array", "items": _ref("Image")}},
            "An article with its HTML and its images (featured first, then in-article by position).",
        ),
        "ContentPage": _page_of("Content"),
    },
    operations=(
        Operation(endpoint="content_list", method="get", path="/writer/content/", site_scoped=True,
                  query="igny8.api.lists:ContentQuery", summary="A site's articles (without HTML)",
                  response="ContentPage"),
        Operation(endpoint="content_detail", method="get", path="/writer/content/{content_id}",
                  summary="One article with its HTML and images", response="ContentDetail"),
        Operation(endpoint="content_approve", method="post", path="/writer/content/{content_id}/approve",
                  summary="Approve an article in review", description="Takes no body.",
                  response="ContentDetail", response_description="The approved article.",
                  extra_errors=(INVALID_STATE,)),
        Operation(endpoint="content_reject", method="post", path="/writer/content/{content_id}/reject",
                  summary="Reject an article in review, with a reason", body="igny8.api.writer:RejectBody",
                  response="ContentDetail", response_description="The rejected article.",
                  extra_errors=(INVALID_STATE,)),
    ),
)

IMAGES = Resource(
    tag="Images",
    description="Writer images of the site's articles.",
    schemas={"Image": IMAGE, "ImagePage": _page_of("Image")},
    operations=(
        Operation(endpoint="images_list", method="get", path="/writer/images/", site_scoped=True,
                  query="igny8.api.lists:ImageQuery", summary="A site's images", response="ImagePage"),
    ),
)

# -- Automation ---------------------------------------------------------------------------

STAGE_NUMBER = {"type": "integer", "minimum": 1, "maximum": 7}
COUNT = {"type": "integer", "minimum": 0}
CREDITS = {"type": "number", "minimum": 0, "description": "Credits (a decimal with up to four places)."}
RUN_ID = {"type": "string", "pattern": r"^run_\d{8}_\d{6}_[0-9a-f]{6}$",
          "description": "The run's public id: `run_<UTC date>_<UTC time>_<6 hex digits>`."}
RUN_STATUS = ("running", "paused", "cancelled", "completed", "failed")
TRIGGER = _enum("manual", "scheduled")
BATCH_SIZE = {"type": "integer", "minimum": 1, "maximum": 100}
DELAY = {"type": "integer", "minimum": 0, "maximum": 3600}
# RunContext.set_processing writes ``datetime.isoformat()``: UTC, but with a +00:00 offset.
SNAPSHOT_TIMESTAMP = {"type": "string", "format": "date-time",
                      "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$"}

# Counters every processing stage (1–6) keeps, besides its own.
BATCH_COUNTERS = {
    "batches_run": COUNT,
    "time_elapsed": {"type": "number", "minimum": 0, "description": "Seconds spent in batches."},
    "failed": {**COUNT, "description": "Items whose AI call failed (they are skipped by this run)."},
}
AI_COUNTERS = {**BATCH_COUNTERS, "credits_used": {"type": "number", "minimum": 0}}


def _stage_result(number: int, name: str, counters: dict) -> dict:
    """``stage_N_result``: null until the stage starts, then its counters (open: counters may be added)."""
    return {
        "type": ["object", "null"],
        "description": f"Stage {number} ({name}): null until the stage starts, then its counters. Keys appear as "
                       "the stage works (`{}` right at its start); more counters may be added.",
        "properties": counters,
        "additionalProperties": {"type": ["number", "boolean", "string"]},
    }


STAGE_RESULTS = {
    "stage_1_result": _stage_result(1, "keywords → clusters", {
        "keywords_processed": COUNT, "clusters_created": COUNT, **AI_COUNTERS,
        "skipped": {**BOOLEAN, "description": "True when fewer than 5 keywords were pending."},
        "partial": {**BOOLEAN, "description": "True when the model left some keywords of a batch unclustered."},
        "reason": {**STRING, "description": "Why the stage was skipped (only when `skipped`)."},
    }),
    "stage_2_result": _stage_result(2, "clusters → ideas", {
        "clusters_processed": COUNT, "ideas_created": COUNT, **AI_COUNTERS}),
    "stage_3_result": _stage_result(3, "ideas → tasks", {
        "ideas_processed": COUNT, "tasks_created": COUNT, **BATCH_COUNTERS}),
    "stage_4_result": _stage_result(4, "tasks → content", {
        "tasks_processed": COUNT, "content_created": COUNT, "total_words": COUNT, **AI_COUNTERS}),
    "stage_5_result": _stage_result(5, "content → image prompts", {
        "content_processed": COUNT, "prompts_created": COUNT, **AI_COUNTERS}),
    "stage_6_result": _stage_result(6, "image prompts → images", {
        "images_processed": COUNT, "images_generated": COUNT, **AI_COUNTERS}),
    "stage_7_result": _stage_result(7, "manual review gate", {
        "ready_for_review": {**COUNT, "description": "Articles waiting in `review`."},
        "moved_to_review": {**COUNT, "description": "Drafts this run moved to `review`."},
    }),
}

AUTOMATION_CONFIG = _object({
    "site_id": ID,
    "is_enabled": {**BOOLEAN, "description": "Whether the scheduler starts runs."},
    "frequency": _enum("daily", "weekly", "monthly"),
    "scheduled_time": {**STRING, "pattern": r"^([01]\d|2[0-3]):[0-5]\d$",
                       "description": "`HH:MM` in `timezone`."},
    "timezone": {**STRING, "description": "IANA time zone of `scheduled_time` (default: the site's)."},
    **{f"stage_{n}_batch_size": {**BATCH_SIZE, "description": f"Items per batch of stage {n}."} for n in range(1, 7)},
    "within_stage_delay": {**DELAY, "description": "Seconds between two batches of a stage."},
    "between_stage_delay": {**DELAY, "description": "Seconds between two stages."},
    "ai_concurrency": {"type": "integer", "minimum": 1, "maximum": 32,
                       "description": "AI calls a worker makes at once."},
    "last_run_at": _nullable({**TIMESTAMP, "description": "When the last run (any trigger) started."}),
    "next_run_at": _nullable({**TIMESTAMP, "description": "The next scheduled start; null while disabled."}),
}, "A site's automation settings.")

AUTOMATION_RUN = _object({
    "run_id": RUN_ID,
    "site_id": ID,
    "trigger_type": TRIGGER,
    "status": _enum(*RUN_STATUS),
    "current_stage": STAGE_NUMBER,
    "started_at": TIMESTAMP,
    "paused_at": _nullable(TIMESTAMP),
    "resumed_at": _nullable(TIMESTAMP),
    "cancelled_at": _nullable(TIMESTAMP),
    "completed_at": _nullable({**TIMESTAMP, "description": "When the run ended (completed, cancelled or failed)."}),
    "total_credits_used": {**CREDITS, "description": "Credits charged to the run so far."},
    "estimated_credits": _nullable({**CREDITS, "description": "The estimate when the run was started."}),
    "error_message": _nullable({**STRING, "description": "Why the run failed or was paused by the worker."}),
    "pause_reason": _nullable({**STRING, "description": "Why the run is paused (by the user, out of credits, "
                                                        "provider failure)."}),
    **STAGE_RESULTS,
    "lock": _nullable(_object({
        "run_id": {**STRING, "description": "The run holding the lock (normally this one)."},
        "worker": _nullable({**STRING, "description": "`host:pid` of the worker, or `web (starting)` until a "
                                                      "worker takes the run."}),
        "since": _nullable(TIMESTAMP),
        "ttl_seconds": {**INTEGER, "description": "Seconds until the lock expires unless the worker renews it."},
    }, "The site's Redis lock while the run is active; null once it is not or the lock expired.")),
    "lease": _object({
        "owner": _nullable({**STRING, "description": "The worker working on the run; null when none is."}),
        "since": _nullable({**TIMESTAMP, "description": "When the current (or last) claim was made."}),
        "expires_at": _nullable({**TIMESTAMP, "description": "When recovery may hand the run to another worker."}),
        "epoch": {**COUNT, "description": "How many times a worker has claimed the run (the fencing number)."},
    }, "Which worker works on the run, in the database."),
}, "One automation run with every stage's counters.")

LOG_LINE = {**STRING, "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z (\[stage [1-7]\] )?[A-Z]+ ",
            "description": "`<UTC time> [stage N] LEVEL message` (no stage for run-level lines)."}

RUN_ID_PARAM = {
    "name": "run_id", "in": "query", "required": True,
    "schema": {"type": "string", "minLength": 1},
    "example": "run_20261129_015146_846ec4",
    "description": "The run (of the caller's account). Missing → 400 `missing_parameter`; unknown or another "
                   "account's → 404 `not_found`; with `site_id`, a run of another site is also 404.",
}
OPTIONAL_RUN_ID_PARAM = {
    **RUN_ID_PARAM, "required": False,
    "description": "A run of the site (default: its running or paused run). Unknown, another site's or "
                   "another account's → 404 `not_found`.",
}
LOG_LINES_MAX = 1000  # igny8.automation.runlog.MAX_TAIL (not imported: no worker code here)
LINES_PARAM = {
    "name": "lines", "in": "query", "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": LOG_LINES_MAX, "default": 100},
    "description": f"How many of the last lines, 1–{LOG_LINES_MAX}. Not an integer or out of range → 400 "
                   "`validation_error`.",
}

RUN_MISSING = ErrorCase(400, "missing_parameter", "`run_id` is missing.")
RUN_NOT_FOUND = ErrorCase(404, "not_found", "The run does not exist, belongs to another account or to another "
                                            "site than `site_id`.")
NOT_RUNNING = ErrorCase(400, "invalid_state", "The run is not `running`.")
CONTROL_DESCRIPTION = "Answers the run after the change. A worker notices the new status between items."

AUTOMATION = Resource(
    tag="Automation",
    description="The pipeline of a site: its settings, starting a run, watching it, pausing, resuming and "
                "cancelling it, its history and activity log, and the credits a run would need.",
    schemas={
        "AutomationConfig": AUTOMATION_CONFIG,
        "RunStarted": _object({
            "run_id": RUN_ID,
            "status": {"const": "running"},
        }, "A run was created and queued for a worker."),
        "AutomationRun": AUTOMATION_RUN,
        "CurrentRun": _object({
            "run": {"oneOf": [_ref("AutomationRun"), {"type": "null"}],
                    "description": "The site's running or paused run; null when none is."},
        }),
        "RunDetail": _object({"run": _ref("AutomationRun")}),
        "PipelineStage": _object({
            "number": STAGE_NUMBER,
            "name": {**STRING, "description": "e.g. `Keywords → Clusters`."},
            "type": {**_enum("ai", "local", "manual"),
                     "description": "`ai`: AI calls (charged); `local`: no AI; `manual`: waits for a person."},
            "pending": {**COUNT, "description": "Items the stage would pick up now."},
            "status_counts": {"type": "object", "additionalProperties": COUNT,
                              "description": "The site's objects of the stage's input type by status."},
            "object": {**_enum("keyword", "cluster", "content_idea", "task", "content", "image"),
                       "description": "The stage's input object type."},
        }, "One stage of the pipeline."),
        "PipelineOverview": _object({
            "stages": {"type": "array", "items": _ref("PipelineStage"), "minItems": 7, "maxItems": 7,
                       "description": "Stages 1–7 in order."},
        }),
        "ProcessingSnapshot": _object({
            "run_id": RUN_ID,
            "stage": STAGE_NUMBER,
            "stage_name": STRING,
            "done": {**COUNT, "description": "Items of the stage done so far."},
            "total": {**COUNT, "description": "Items of the stage when it started (plus those done before)."},
            "in_flight": {**STRINGS, "description": "Items being processed now."},
            "up_next": {**STRINGS, "description": "The next items of the batch (at most 5)."},
            "updated_at": {**SNAPSHOT_TIMESTAMP, "description": "When the worker last updated the snapshot (UTC)."},
        }, "What the worker is doing. Until a worker takes the run only `run_id`, `stage` and `stage_name` "
           "are present.", optional=("done", "total", "in_flight", "up_next", "updated_at")),
        "CurrentProcessing": _object({
            "processing": {"oneOf": [_ref("ProcessingSnapshot"), {"type": "null"}],
                           "description": "Null when the run is not `running` (or the site has no active run)."},
        }),
        "RunSummary": _object({
            "run_id": RUN_ID,
            "status": _enum(*RUN_STATUS),
            "trigger_type": TRIGGER,
            "started_at": TIMESTAMP,
            "completed_at": _nullable(TIMESTAMP),
            "total_credits_used": CREDITS,
            "current_stage": STAGE_NUMBER,
            "error_message": _nullable(STRING),
        }, "A run in the history."),
        "RunHistory": _object({
            "runs": {"type": "array", "items": _ref("RunSummary"), "maxItems": 20,
                     "description": "The last 20 runs, newest first."},
        }),
        "RunLog": _object({
            "run_id": RUN_ID,
            "lines": {"type": "array", "items": LOG_LINE, "maxItems": LOG_LINES_MAX,
                      "description": "The last lines of the run's activity log, oldest first."},
        }),
        "EstimateLine": _object({
            "stage": {"type": "integer", "minimum": 1, "maximum": 6},
            "pending": {**COUNT, "description": "Items pending for the stage now."},
            "units": {**COUNT, "description": "Units charged: pending plus projected from earlier stages."},
            "unit": _enum("keywords", "clusters", "ideas", "words", "contents", "images"),
            "rate": {**CREDITS, "description": "Credits per unit."},
            "credits": {**CREDITS, "description": "`units × rate`."},
        }, "One stage's share of the estimate."),
        "Estimate": _object({
            "estimated_credits": {**CREDITS, "description": "What a full run would cost now."},
            "breakdown": {"type": "array", "items": _ref("EstimateLine"), "description": "Stages 1–6."},
            "current_balance": {"type": "number", "description": "The account's credit balance."},
            "required_balance": {**CREDITS, "description": "`estimated_credits × safety_factor`."},
            "sufficient": {**BOOLEAN, "description": "`current_balance ≥ required_balance`: run_now would start."},
            "safety_factor": {"type": "number", "minimum": 1},
        }, "The credits a run would need and whether the balance covers them."),
    },
    operations=(
        Operation(endpoint="automation_config", method="get", path="/automation/config", site_scoped=True,
                  summary="The site's automation settings",
                  description="Created with defaults on first read.", response="AutomationConfig"),
        Operation(
            endpoint="automation_update_config", method="put", path="/automation/update_config", site_scoped=True,
            body="igny8.services.inputs:ConfigUpdate", summary="Change any subset of the settings",
            description="Send only the fields to change. `null` is refused for every field (send the value "
                        "instead); `site_id`, `last_run_at` and `next_run_at` are read-only. `timezone` is an "
                        "IANA name. `next_run_at` is recomputed (null while disabled).",
            response="AutomationConfig", response_description="The settings after the change.",
            extra_errors=(
                ErrorCase(400, "validation_error", "A field is `null`, or a read-only field was sent."),
            ),
        ),
        Operation(
            endpoint="automation_run_now", method="post", path="/automation/run_now", site_scoped=True,
            summary="Start a manual run",
            description="Takes no body. The run is created `running` and queued; a worker picks it up. The "
                        "balance must cover the estimate × `safety_factor` (see `estimate`).",
            status=202, response="RunStarted", response_description="The run was created and queued.",
            extra_errors=(
                ErrorCase(400, "already_running", "The site has a running or paused run, or its lock is held."),
                ErrorCase(400, "insufficient_credits", "The balance is below estimate × `safety_factor`."),
                ErrorCase(400, "queue_unavailable", "The job queue (Redis) could not take the run; the run is "
                                                    "marked failed. Try again shortly."),
            ),
        ),
        Operation(endpoint="automation_current_run", method="get", path="/automation/current_run",
                  site_scoped=True, summary="The site's running or paused run", response="CurrentRun"),
        Operation(endpoint="automation_pipeline_overview", method="get", path="/automation/pipeline_overview",
                  site_scoped=True, summary="Each stage's pending count and object counts",
                  response="PipelineOverview"),
        Operation(
            endpoint="automation_current_processing", method="get", path="/automation/current_processing",
            site_scoped=True, parameters=(OPTIONAL_RUN_ID_PARAM,), summary="The live snapshot of a running run",
            response="CurrentProcessing", extra_errors=(RUN_NOT_FOUND,),
        ),
        Operation(
            endpoint="automation_pause", method="post", path="/automation/pause", site_scoped=True,
            parameters=(RUN_ID_PARAM,), summary="Pause a running run after the item in flight",
            description=f"Takes no body. {CONTROL_DESCRIPTION}", response="AutomationRun",
            response_description="The paused run.", extra_errors=(RUN_MISSING, RUN_NOT_FOUND, NOT_RUNNING),
        ),
        Operation(
            endpoint="automation_resume", method="post", path="/automation/resume", site_scoped=True,
            parameters=(RUN_ID_PARAM,), summary="Resume a paused run from its current stage",
            description=f"Takes no body. The run is queued again. {CONTROL_DESCRIPTION}", response="AutomationRun",
            response_description="The running run.",
            extra_errors=(
                RUN_MISSING, RUN_NOT_FOUND,
                ErrorCase(400, "invalid_state", "The run is not `paused`."),
                ErrorCase(400, "insufficient_credits", "The balance is empty while work is pending."),
            ),
        ),
        Operation(
            endpoint="automation_cancel", method="post", path="/automation/cancel", site_scoped=True,
            parameters=(RUN_ID_PARAM,), summary="Cancel a running or paused run",
            description=f"Takes no body. For good: the item in flight is discarded, nothing of it charged. "
                        f"{CONTROL_DESCRIPTION}",
            response="AutomationRun", response_description="The cancelled run.",
            extra_errors=(RUN_MISSING, RUN_NOT_FOUND,
                          ErrorCase(400, "invalid_state", "The run is not `running` or `paused`.")),
        ),
        Operation(endpoint="automation_history", method="get", path="/automation/history", site_scoped=True,
                  summary="The site's last 20 runs, newest first", response="RunHistory"),
        Operation(
            endpoint="automation_run_detail", method="get", path="/automation/run_detail", site_scoped=True,
            parameters=(RUN_ID_PARAM,), summary="One run of the site, in any status", response="RunDetail",
            extra_errors=(RUN_MISSING, RUN_NOT_FOUND),
        ),
        Operation(
            endpoint="automation_logs", method="get", path="/automation/logs", parameters=(RUN_ID_PARAM, LINES_PARAM),
            summary="The tail of a run's activity log", description="Needs no `site_id`.", response="RunLog",
            extra_errors=(RUN_MISSING,
                          ErrorCase(404, "not_found", "The run does not exist or belongs to another account."),
                          ErrorCase(400, "validation_error", "`lines` is not an integer from 1 to "
                                                             f"{LOG_LINES_MAX}.")),
        ),
        Operation(endpoint="automation_estimate", method="get", path="/automation/estimate", site_scoped=True,
                  summary="The credits a run would need now, and whether the balance covers them",
                  response="Estimate"),
    ),
)

# -- Settings and billing (account-scoped: no site_id) --------------------------------------

AI_FUNCTION = _enum(*FUNCTIONS)
PROVIDER_DOC = "`auto`: OpenAI when a key is set (here or in the environment), else offline."
IMAGE_PROVIDER_DOC = "`auto`: OpenAI images when the text provider is OpenAI, else offline."
IMAGE_SIZE = {**STRING, "description": "`<width>x<height>` in pixels, e.g. `1024x1024`."}


def _per_function(value: dict, description: str, everyone: bool = False) -> dict:
    """An object keyed by AI function (``everyone``: all four are present)."""
    schema = {"type": "object", "propertyNames": AI_FUNCTION, "additionalProperties": value,
              "description": description}
    if everyone:
        schema["required"] = list(FUNCTIONS)
    return schema


INTEGRATION_SETTINGS = _object({
    "provider": {**_enum(*PROVIDERS), "description": f"The chosen text provider. {PROVIDER_DOC}"},
    "effective_provider": {**_enum("openai", "offline"), "description": "The provider jobs use now."},
    "has_api_key": {**BOOLEAN, "description": "Whether the account stored an API key."},
    "api_key_last4": _nullable({**STRING, "maxLength": 4,
                                "description": "The last four characters of the stored key; null without one."}),
    "uses_environment_key": {**BOOLEAN, "description": "No key is stored and the server's `OPENAI_API_KEY` "
                                                      "is used."},
    "base_url": _nullable({**STRING, "description": "The account's OpenAI-compatible server; null: default."}),
    "effective_base_url": _nullable({**STRING, "description": "The server jobs call (account value, else "
                                                             "`OPENAI_BASE_URL`); null: api.openai.com."}),
    "models": _per_function(STRING, "Chat model chosen per AI function; a missing function uses the default."),
    "effective_models": _per_function(STRING, "The chat model each function uses now.", everyone=True),
    "image_provider": {**_enum(*IMAGE_PROVIDERS), "description": f"The chosen image provider. {IMAGE_PROVIDER_DOC}"},
    "effective_image_provider": {**_enum("openai", "runware", "offline"),
                                 "description": "The image provider jobs use now."},
    "image_model": _nullable({**STRING, "description": "The chosen image model; null: the provider's default."}),
    "effective_image_model": {**STRING, "description": "The image model jobs use now."},
    "image_size": IMAGE_SIZE,
    "request_timeout": {"type": "integer", "minimum": 5, "maximum": 900,
                        "description": "Seconds an AI call may take."},
    "max_retries": {"type": "integer", "minimum": 0, "maximum": 10,
                    "description": "Retries of a failed AI call."},
    "has_runware_key": {**BOOLEAN, "description": "Whether the account stored a Runware key."},
    "capabilities": _object({
        "response_format": {**_enum(*RESPONSE_FORMATS),
                            "description": "The structured-output mode the server proved to support."},
        "checked_at": TIMESTAMP,
    }, "What the last successful connection test found; `{}` until then (and after the key or base URL "
       "changes).", optional=("response_format", "checked_at")),
    "prompt_overrides": _per_function(STRING, "Prompt templates replacing the built-in ones."),
    "updated_at": TIMESTAMP,
}, "The account's AI settings. Keys are write-only: never returned, only `api_key_last4`.")

INTEGRATION_UPDATE_RULES = """\
Send only the fields to change. A key (`api_key`, `runware_api_key`) is stored encrypted and
never returned; `""` or `null` removes it. Changing `api_key` or `base_url` clears
`capabilities`. In `models` and `prompt_overrides` an empty string restores the default for that
function. `base_url` must start with `http://` or `https://` (`""`: the default server);
`image_size` is `<width>x<height>` (3–4 digits each); `request_timeout` is 5–900 seconds,
`max_retries` 0–10. Choosing `image_provider` `runware` needs a Runware key, in the request,
stored, or in the server's environment."""

SETTINGS = Resource(
    tag="Settings",
    description="The account's AI integration: provider, API key (write-only), server, models, images.",
    schemas={
        "IntegrationSettings": INTEGRATION_SETTINGS,
        "ConnectionTest": _object({
            "ok": {**BOOLEAN, "description": "Whether jobs can call the provider."},
            "provider": {**_enum("openai", "offline"), "description": "The provider tested."},
            "model": {**STRING, "description": "The model of the test call (`offline` for the built-in provider)."},
            "latency_ms": {**COUNT, "description": "Duration of the test call."},
            "structured_outputs": _nullable({
                **_enum(*RESPONSE_FORMATS, "not needed"),
                "description": "The structured-output mode the server supports (`not needed` offline); null on "
                               "failure.",
            }),
            "error": _nullable({**STRING, "description": "Why the test failed; null when `ok`."}),
        }, "The result of one call to the configured AI server."),
    },
    operations=(
        Operation(endpoint="integration_get", method="get", path="/settings/integration",
                  summary="The account's AI settings (keys masked)",
                  description="Created with defaults on first read.", response="IntegrationSettings"),
        Operation(
            endpoint="integration_update", method="put", path="/settings/integration",
            body="igny8.services.inputs:IntegrationUpdate", summary="Change any subset of the AI settings",
            description=INTEGRATION_UPDATE_RULES, response="IntegrationSettings",
            response_description="The settings after the change.",
            extra_errors=(
                ErrorCase(400, "validation_error", "`image_provider` is `runware` and no Runware key is set "
                                                   "(`fields.runware_api_key`); nothing is saved."),
            ),
        ),
        Operation(
            endpoint="integration_test", method="post", path="/settings/integration/test",
            summary="Call the configured AI server once",
            description="Takes no body. A failed call is a 200 with `ok: false` and the reason in `error`; with "
                        "no key anywhere the offline provider answers `ok`. A successful test records the "
                        "server's structured-output mode in `capabilities`.",
            response="ConnectionTest", response_description="What the test call found.",
        ),
    ),
)

BILLING = Resource(
    tag="Billing",
    description="The account's credit ledger: every grant, top-up and charge.",
    schemas={
        "LedgerEntry": _object({
            "id": ID,
            "amount": {"type": "number", "description": "Credits: negative for a charge, positive for a grant "
                                                        "or top-up."},
            "balance_after": {"type": "number", "description": "The account's balance after this row."},
            "operation": _enum("signup_grant", "top_up", "clustering", "ideas", "content", "image_prompts",
                               "image"),
            "run_id": _nullable({**RUN_ID, "description": "The run that was charged; null for grants and top-ups."}),
            "site_id": _nullable(ID),
            "stage": _nullable({"type": "integer", "minimum": 1, "maximum": 6}),
            "object_type": _nullable({**STRING, "description": "What was charged for: `keyword_batch`, "
                                                              "`cluster`, `task`, `content` or `image`."}),
            "object_id": _nullable(ID),
            **PROVENANCE,
            "tokens_in": _nullable({**COUNT, "description": "Prompt tokens, when the provider reports them."}),
            "tokens_out": _nullable({**COUNT, "description": "Completion tokens, when the provider reports them."}),
            "request_id": _nullable({**STRING, "description": "The provider's id of the request."}),
            "latency_ms": _nullable(COUNT),
            "note": _nullable(STRING),
            "created_at": TIMESTAMP,
        }, "One ledger row."),
        "LedgerPage": _page_of("LedgerEntry"),
    },
    operations=(
        Operation(
            endpoint="ledger_list", method="get", path="/billing/ledger", query="igny8.api.settings:LedgerQuery",
            summary="The account's credit ledger, newest first",
            description="Account-wide: takes no `site_id`. `run_id` filters; an unknown run or another "
                        "account's yields an empty page, not 404.",
            response="LedgerPage",
        ),
    ),
)

# Order is the order of tags in the document.
RESOURCES: tuple[Resource, ...] = (META, AUTH, SITES, KEYWORDS, CLUSTERS, IDEAS, TASKS, CONTENTS, IMAGES, AUTOMATION,
                                   SETTINGS, BILLING)

# Descriptions of query parameters by name, shared by every list.
PARAMETER_DOCS = {
    "site_id": "The site (of the caller's account). Missing → 400 `missing_parameter`; not an integer → 400 "
               "`validation_error`; unknown or another account's → 404 `not_found`.",
    "page": "Page number, from 1.",
    "page_size": f"Items per page, at most {MAX_PAGE_SIZE}.",
    "status": "Only objects in this status.",
    "cluster_id": "Only objects of this cluster.",
    "search": "Case-insensitive substring of the keyword (`%` and `_` are literal).",
    "intent": "Only keywords with this search intent.",
    "disabled": "Only disabled (true) or enabled (false) keywords.",
    "ordering": "Sort order; `-` means descending. Keywords without volume sort last.",
    "content_id": "Only images of this article.",
    "run_id": "Only the rows of this run. An unknown run or another account's → an empty page (not 404).",
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `POST /api/v1/auth/token` or `flask create-token`.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The Flask-Login session of a signed-in browser. Unsafe methods also need the "
                       "`X-CSRFToken` header.",
    },
}

# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------

PATH_PARAM = re.compile(r"{([^}]+)}")


def _model(dotted: str):
    """The pydantic model named ``"module:Class"`` (imported late: handlers import the blueprint)."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def _add_component(schemas: dict, name: str, schema: dict) -> None:
    """Put ``schema`` in the components, refusing two different schemas under one name."""
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different schemas are named {name!r}")
    schemas[name] = schema


def _model_schema(model, schemas: dict) -> dict:
    """The model's JSON Schema, its ``$defs`` hoisted into ``schemas``."""
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        _add_component(schemas, name, sub)
    return schema


def _without_null(prop: dict) -> dict:
    """A query property without pydantic's ``None`` default: absent is how a URL says "no filter"."""
    prop = {key: value for key, value in prop.items() if key != "title"}
    variants = prop.pop("anyOf", None)
    if variants is not None:
        kept = [variant for variant in variants if variant != {"type": "null"}]
        prop = {**kept[0], **prop} if len(kept) == 1 else {"anyOf": kept, **prop}
    if "default" in prop and prop["default"] is None:
        del prop["default"]
    return prop


def _query_parameters(dotted: str, schemas: dict) -> list[dict]:
    """OpenAPI query parameters generated from a ``parse_query`` model."""
    schema = _model_schema(_model(dotted), schemas)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        param = {"name": name, "in": "query", "required": name in required, "schema": _without_null(prop)}
        if name in PARAMETER_DOCS:
            param["description"] = PARAMETER_DOCS[name]
        params.append(param)
    return params


def _parameters(op: Operation, schemas: dict) -> list[dict]:
    """Path ids, then ``site_id``, then the query model's parameters, then the hand-written ones."""
    params = [
        {"name": name, "in": "path", "required": True, "schema": ID,
         "description": f"Id of the {name.removesuffix('_id')} (of the caller's account)."}
        for name in PATH_PARAM.findall(op.path)
    ]
    if op.site_scoped:
        params.append({"name": "site_id", "in": "query", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                       "description": PARAMETER_DOCS["site_id"]})
    if op.query:
        params.extend(_query_parameters(op.query, schemas))
    return params + list(op.parameters)


def _errors(op: Operation) -> list[ErrorCase]:
    """Every error answer of ``op``: those implied by its shape, then its own."""
    cases: list[ErrorCase] = []
    unsafe = op.method not in ("get", "head", "options")
    if not op.public:
        cases.append(ErrorCase(401, "unauthorized", "No session and no valid bearer token."))
    if op.site_scoped:
        cases += [
            ErrorCase(400, "missing_parameter", "`site_id` is missing."),
            ErrorCase(400, "validation_error", "`site_id` is not an integer."),
            ErrorCase(404, "not_found", "The site does not exist or belongs to another account."),
        ]
    for name in PATH_PARAM.findall(op.path):
        cases.append(ErrorCase(404, "not_found", f"The {name.removesuffix('_id')} does not exist or belongs to "
                                                 "another account."))
    if op.query:
        cases.append(ErrorCase(400, "validation_error", "A query parameter is invalid (see `fields`)."))
    if op.body:
        cases.append(ErrorCase(400, "validation_error", "The JSON body is missing, malformed, not an object, "
                                                        "or a field is invalid (see `fields`)."))
    if unsafe and not op.public:
        cases.append(ErrorCase(400, "csrf_failed", "Session (cookie) auth without the `X-CSRFToken` header."))
    if op.body or op.upload:
        cases.append(ErrorCase(413, "payload_too_large", "The request body is larger than `MAX_UPLOAD_MB`."))
    return cases + list(op.extra_errors)


STATUS_TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 413: "Payload too large",
                 429: "Too many requests"}


def _error_responses(op: Operation) -> dict:
    """One response per error status, its ``code`` narrowed to the codes that status really carries."""
    by_status: dict[int, list[ErrorCase]] = {}
    for case in _errors(op):
        by_status.setdefault(case.status, []).append(case)
    responses = {}
    for status, cases in sorted(by_status.items()):
        codes = list(dict.fromkeys(case.code for case in cases))
        lines = "\n".join(f"- `{case.code}`: {case.when}" for case in cases)
        responses[str(status)] = {
            "description": f"{STATUS_TITLES.get(status, 'Error')}.\n\n{lines}",
            "content": {"application/json": {"schema": {
                "allOf": [_ref("Error"), {"properties": {"code": {"enum": codes}}}],
            }}},
        }
    return responses


def _success_response(op: Operation) -> dict:
    """The documented success answer."""
    response: dict = {"description": op.response_description}
    if op.response is not None:
        schema = _ref(op.response) if isinstance(op.response, str) else op.response
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _operation(op: Operation, tag: str, schemas: dict) -> dict:
    """The OpenAPI Operation Object of ``op``."""
    doc: dict = {"operationId": op.endpoint, "tags": [tag], "summary": op.summary}
    if op.description:
        doc["description"] = op.description
    params = _parameters(op, schemas)
    if params:
        doc["parameters"] = params
    if op.body:
        model = _model(op.body)
        _add_component(schemas, model.__name__, _model_schema(model, schemas))
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(model.__name__)}}}
    elif op.upload:
        doc["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.upload}}}
    doc["responses"] = {str(op.status): _success_response(op), **_error_responses(op)}
    if op.public:
        doc["security"] = []
    return doc


def _build(resources: tuple[Resource, ...]) -> dict:
    """Assemble the document from ``resources``."""
    schemas: dict = dict(SHARED_SCHEMAS)
    paths: dict = {}
    for resource in resources:
        for name, schema in resource.schemas.items():
            _add_component(schemas, name, schema)
        for op in resource.operations:
            methods = paths.setdefault(API_PREFIX + op.path, {})
            if op.method in methods:
                raise ValueError(f"{op.method.upper()} {op.path} is documented twice")
            methods[op.method] = _operation(op, resource.tag, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "IGNY8 Automation API", "version": "1", "description": INFO_DESCRIPTION},
        "tags": [{"name": r.tag, "description": r.description} for r in resources],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


@functools.cache
def _cached() -> dict:
    """The document, built on first use (the routes and models are static for the process)."""
    return _build(RESOURCES)


def build_spec() -> dict:
    """The OpenAPI 3.1 document of the ``api`` blueprint.

    Built once per process; each call gets its own deep copy so a caller that edits it (a test,
    a tool adding a ``servers`` entry) cannot change what later requests are served.
    """
    return copy.deepcopy(_cached())
