"""The OpenAPI description: valid 3.1, complete for the ``api`` blueprint, and true to every answer.

The contract test calls each documented operation, provokes each documented status (and, for
errors, each documented ``code``), validates every JSON body against the schema the document
gives for that status, and finally requires that what it observed equals what is documented
(less the answers listed in ``NOT_EXERCISED``, each with the reason it cannot be provoked here).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from igny8.api import openapi_spec
from tests.conftest import PASSWORD, Api
from tests.factories import build_pipeline

SPEC_URI = "urn:igny8:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
SAFE_METHODS = {"get", "head", "options"}
MISSING_ID = 999_999
MISSING_RUN = "run_20000101_000000_000000"
# Query parameters that name an object: the contract test fills them from the ids it built.
QUERY_IDS = ("site_id", "run_id")
ROOT = Path(__file__).resolve().parents[1]
A = "/api/v1/automation/"

# Documented answers the contract test does not provoke: (method, path, status, code) → why.
NOT_EXERCISED: dict[tuple[str, str, int, str], str] = {
    ("post", A + "run_now", 400, "queue_unavailable"):
        "needs Redis to fail between the run's creation and its enqueue; the lock, the rate limits "
        "and every other call of this test use the same Redis",
}


@pytest.fixture
def app_config(app_config):
    """Rate limiting on (it is off in the other tests) so the documented 429 can be observed, and
    CSRF checks on (also off elsewhere) so the documented ``csrf_failed`` can be."""
    return {**app_config, "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def spec(client):
    """The document as the app serves it."""
    return client.get("/api/v1/openapi.json").get_json()


def flask_path(rule: str) -> str:
    """``/sites/<int:site_id>`` → ``/sites/{site_id}`` (OpenAPI path template)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_routes(app) -> dict[tuple[str, str], str]:
    """(path, method) → endpoint of every route of the ``api`` blueprint."""
    return {
        (flask_path(rule.rule), method.lower()): rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - IGNORED_METHODS
    }


def documented_operations(spec: dict) -> dict[tuple[str, str], dict]:
    """(path, method) → Operation Object of every documented operation."""
    return {(path, method): op for path, item in spec["paths"].items() for method, op in item.items()}


def route_differences(app, spec: dict) -> tuple[set, set]:
    """Routes missing from the document, and documented operations the app does not have."""
    routes, documented = api_routes(app), documented_operations(spec)
    return set(routes) - set(documented), set(documented) - set(routes)


def error_codes(schema: dict) -> list[str] | None:
    """The ``code`` values an error response schema admits (None: any code)."""
    codes = schema.get("properties", {}).get("code", {}).get("enum")
    for part in schema.get("allOf", ()):
        codes = codes or error_codes(part)
    return codes


def documented_answers(spec: dict) -> set[tuple[str, str, int, str]]:
    """Every (method, path, status, code) the document promises; code is "" for successes, "*" for any."""
    answers = set()
    for (path, method), op in documented_operations(spec).items():
        for status, response in op["responses"].items():
            if int(status) < 400:
                answers.add((method, path, int(status), ""))
                continue
            codes = error_codes(response["content"]["application/json"]["schema"]) or ["*"]
            answers.update((method, path, int(status), code) for code in codes)
    return answers


def pointer(*parts: str) -> str:
    """A JSON pointer to ``parts`` inside the document, as a URI fragment."""
    return quote("/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts), safe="/~")


class Contract:
    """Calls documented operations and checks every answer against the document."""

    def __init__(self, spec: dict, client):
        self.spec = spec
        self.client = client
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.seen: set[tuple[str, str, int, str]] = set()

    def errors_against(self, instance, *parts: str) -> list[str]:
        """Validation errors of ``instance`` against the schema at ``parts`` (refs resolve in the document)."""
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer(*parts)}"}, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(instance)]

    def call(self, method: str, path: str, ids: dict | None = None, query: dict | None = None, *,
             client=None, expect: int | None = None, **kwargs):
        """Call ``method path`` (a documented template) and validate the answer; returns the response."""
        operation = self.spec["paths"][path][method]
        url = path.format(**(ids or {}))
        resp = (client or self.client).open(url, method=method.upper(), query_string=query or {}, **kwargs)
        where = f"{method.upper()} {url}?{query or ''} → {resp.status_code}: {resp.get_data(as_text=True)[:300]}"
        if expect is not None:
            assert resp.status_code == expect, where
        status = str(resp.status_code)
        assert status in operation["responses"], f"undocumented status: {where}"
        response = operation["responses"][status]
        code = ""
        if "content" in response:
            assert resp.mimetype == "application/json", where
            body = resp.get_json()
            errors = self.errors_against(body, "paths", path, method, "responses", status, "content",
                                         "application/json", "schema")
            assert not errors, f"{where}\nbody does not match the documented schema:\n" + "\n".join(errors)
            if resp.status_code >= 400:
                documented = error_codes(response["content"]["application/json"]["schema"])
                code = body["code"] if documented else "*"
        else:
            assert resp.data == b"", f"documented without a body: {where}"
        if "json" in kwargs and resp.status_code < 400:
            errors = self.errors_against(kwargs["json"], "paths", path, method, "requestBody", "content",
                                         "application/json", "schema")
            assert not errors, f"{where}\naccepted body does not match the documented request schema: {errors}"
        self.seen.add((method, path, resp.status_code, code))
        return resp


def generate_image(image_id: int) -> None:
    """Give an image the fields only a generated image has, so their non-null form gets validated."""
    from igny8.extensions import db
    from igny8.models import Image

    image = db.session.get(Image, image_id)
    image.status, image.file_path, image.width, image.height = "generated", "images/1.png", 1024, 1024
    image.alt_text, image.provider, image.model = "A sump pump", "offline", "image-v1"
    db.session.commit()


def login(client, email: str) -> str:
    """Sign in through the login form; returns the CSRF token of the page served after login."""
    page = client.get("/login").data.decode()
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": form_token})
    assert resp.status_code == 302
    # Login starts a new session, so only a page served after it carries the live token.
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/automation").data.decode()).group(1)


def run_now(contract, site_id: int, auth: dict) -> str:
    """Start a run of the site (no worker runs in these tests: it stays ``running``); its run_id."""
    started = contract.call("post", A + "run_now", query={"site_id": site_id}, expect=202, **auth).get_json()
    assert started["status"] == "running"
    return started["run_id"]


def _run(run_id: str):
    from igny8.extensions import db
    from igny8.models import AutomationRun

    return db.session.scalar(select(AutomationRun).where(AutomationRun.run_id == run_id))


def work_on(run_id: str) -> None:
    """Give a running run what a worker gives it (a lease, a live snapshot), so their non-null form is validated."""
    from igny8.automation import lease
    from igny8.automation.context import RunContext

    run = _run(run_id)
    epoch = lease.claim(run.id, "worker-host:4242")
    assert epoch is not None
    ctx = RunContext(run.id, run.run_id, run.site_id, run.account_id, epoch, {}, None, None, None)
    ctx.set_processing(stage=1, stage_name="Keywords → Clusters", done=1, total=3, in_flight=["sump pump"],
                       up_next=["pit liner"])
    ctx.flush_processing(1)


def run_to_completion(run_id: str) -> None:
    """Work the run in this process (offline provider), as a worker would: every stage result gets filled."""
    from igny8.automation import runner

    assert runner.execute_run(_run(run_id).id, "worker-host:4243") == "completed"


def charge_by_tokens_and_top_up(account_id: int, run_id: str, site_id: int) -> None:
    """A charge as an OpenAI-compatible server's answer makes it (tokens, request id) and a top-up with a
    note, so the non-null form of every ledger field gets validated."""
    from decimal import Decimal

    from igny8.ai.base import AIUsage
    from igny8.automation import credits
    from igny8.extensions import db
    from igny8.services.accounts import add_credits

    usage = AIUsage("openai", "gpt-4o-mini", tokens_in=1200, tokens_out=300, request_id="req_42", latency_ms=850)
    credits.charge(account_id, credits.usage_cost(usage, Decimal(1)), f"test:{run_id}:tokens", operation="ideas",
                   run_pk=_run(run_id).id, site_id=site_id, stage=2, object_type="cluster", usage=usage)
    db.session.commit()
    add_credits(account_id, Decimal("10.5"), note="CLI top-up")


def stored_settings(account_id: int):
    """The account's integration settings row, as stored."""
    from igny8.extensions import db
    from igny8.models import IntegrationSettings

    db.session.expire_all()
    return db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))


def arguments(op: dict, ids: dict) -> tuple[dict, dict]:
    """Path ids and the id query parameters (``site_id``, ``run_id``) of ``op``, taken from ``ids``.

    In an operation that documents no 404 an id parameter is only a filter (the ledger's ``run_id``:
    another account's run yields an empty list); it is left out here and exercised by hand.
    """
    params = {p["name"]: p for p in op.get("parameters", ())}
    path_ids = {name: ids[name] for name, p in params.items() if p["in"] == "path"}
    names = QUERY_IDS if "404" in op["responses"] else ()
    query = {name: ids[name] for name in names if params.get(name, {}).get("in") == "query"}
    return path_ids, query


def read_everything(contract, path, ids, bearer):
    """GET ``path`` for the objects in ``ids``: a 200 whose lists are not empty (so items get validated)."""
    path_ids, query = arguments(contract.spec["paths"][path]["get"], ids)
    body = contract.call("get", path, path_ids, query, expect=200, **bearer).get_json()
    for key in ("results", "runs", "lines", "stages", "breakdown"):
        if key in body:
            assert body[key], f"{path}: validate at least one item of {key}"


def provoke_errors(contract, app, path, method, path_ids, query, foreign, anonymous, session, bearer):
    """The errors every operation of this shape documents: no auth, CSRF, missing, malformed and foreign
    ids, bad bodies."""
    op = contract.spec["paths"][path][method]
    content = op.get("requestBody", {}).get("content", {})
    required = {p["name"] for p in op.get("parameters", ()) if p["in"] == "query" and p["required"]}
    if op.get("security") != []:
        contract.call(method, path, path_ids, query, client=anonymous, expect=401)
        if method not in SAFE_METHODS:
            refused = contract.call(method, path, path_ids, query, client=session, expect=400)  # no X-CSRFToken
            assert refused.get_json()["code"] == "csrf_failed"
    for name in query:
        others = {k: v for k, v in query.items() if k != name}
        if name in required:
            contract.call(method, path, path_ids, others, expect=400, **bearer)
        if name == "site_id":
            contract.call(method, path, path_ids, {**others, name: "abc"}, expect=400, **bearer)
        for missing in (foreign[name], MISSING_RUN if name == "run_id" else MISSING_ID):
            contract.call(method, path, path_ids, {**others, name: missing}, expect=404, **bearer)
    for name in path_ids:
        for missing in (foreign[name], MISSING_ID):
            contract.call(method, path, {**path_ids, name: missing}, query, expect=404, **bearer)
    if "application/json" in content:
        contract.call(method, path, path_ids, query, data=b"{not json", content_type="application/json",
                      expect=400, **bearer)
        oversized = {"json": {"padding": "x" * 1024}}
    if "multipart/form-data" in content:
        contract.call(method, path, path_ids, query, data={}, content_type="multipart/form-data",
                      expect=400, **bearer)
        oversized = {"data": {"file": (io.BytesIO(b"Keyword\n" + b"pump\n" * 500), "kw.csv")},
                     "content_type": "multipart/form-data"}
    if content:
        limit = app.config["MAX_CONTENT_LENGTH"]
        app.config["MAX_CONTENT_LENGTH"] = 256
        try:
            contract.call(method, path, path_ids, query, expect=413, **oversized, **bearer)
        finally:
            app.config["MAX_CONTENT_LENGTH"] = limit


def probe_query_parameters(contract, path, path_ids, query, bearer):
    """Every documented enum value, boolean, integer and bound of a GET's query parameters is honoured."""
    op = contract.spec["paths"][path]["get"]
    for param in op.get("parameters", ()):
        name, schema = param["name"], param["schema"]
        if param["in"] != "query" or name in QUERY_IDS:  # ids are probed by provoke_errors
            continue
        for value in schema.get("enum", ()):
            contract.call("get", path, path_ids, {**query, name: value}, expect=200, **bearer)
        if "enum" in schema:
            contract.call("get", path, path_ids, {**query, name: "bogus"}, expect=400, **bearer)
        if schema.get("type") == "boolean":
            for value in ("true", "false"):
                contract.call("get", path, path_ids, {**query, name: value}, expect=200, **bearer)
        if schema.get("type") == "integer":
            contract.call("get", path, path_ids, {**query, name: "abc"}, expect=400, **bearer)
        if "maximum" in schema:
            contract.call("get", path, path_ids, {**query, name: schema["maximum"]}, expect=200, **bearer)
            contract.call("get", path, path_ids, {**query, name: schema["maximum"] + 1}, expect=400, **bearer)
        if "minimum" in schema:
            contract.call("get", path, path_ids, {**query, name: schema["minimum"] - 1}, expect=400, **bearer)


def test_openapi_document_is_served_without_auth_and_is_valid_openapi_3_1(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    document = resp.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema or of $refs
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, spec):
    undocumented, phantom = route_differences(app, spec)
    assert not undocumented, f"routes missing from openapi_spec.RESOURCES: {sorted(undocumented)}"
    assert not phantom, f"documented operations the app does not have: {sorted(phantom)}"
    operations = documented_operations(spec)
    for key, endpoint in api_routes(app).items():
        assert "api." + operations[key]["operationId"] == endpoint, key


def test_route_check_reports_a_route_added_without_documentation(app):
    spec = openapi_spec.build_spec()
    before, _ = route_differences(app, spec)
    # Before any request: Flask refuses new rules once an app has served one.
    app.add_url_rule("/api/v1/undocumented-probe", endpoint="api.undocumented_probe", view_func=lambda: "")
    after, phantom = route_differences(app, spec)
    assert after - before == {("/api/v1/undocumented-probe", "get")}
    assert not phantom


def test_public_operations_are_exactly_the_blueprints_public_endpoints(spec):
    from igny8.api import PUBLIC_ENDPOINTS

    public = {"api." + op["operationId"] for op in documented_operations(spec).values() if op.get("security") == []}
    assert public == PUBLIC_ENDPOINTS
    assert {"bearerAuth", "sessionCookie"} == set(spec["components"]["securitySchemes"])


def test_request_bodies_are_generated_from_the_handlers_pydantic_models(spec):
    from igny8.api.auth import TokenRequest
    from igny8.api.planner import KeywordsCreate
    from igny8.api.sites import SiteCreate
    from igny8.api.writer import RejectBody
    from igny8.services.inputs import IntegrationUpdate

    schemas = spec["components"]["schemas"]
    for model in (TokenRequest, SiteCreate, KeywordsCreate, RejectBody, IntegrationUpdate):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in generated.pop("$defs", {}).items():
            assert schemas[name] == sub
        assert schemas[model.__name__] == generated
        assert generated["additionalProperties"] is False


def test_spec_is_built_once_and_callers_cannot_change_what_is_served():
    openapi_spec.build_spec()
    before = openapi_spec._cached.cache_info()
    copy = openapi_spec.build_spec()
    copy["paths"].clear()
    after = openapi_spec._cached.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1
    assert openapi_spec.build_spec()["paths"]


def test_building_the_spec_imports_no_worker_code():
    script = (
        "import sys, igny8.api\n"
        "before = set(sys.modules)\n"
        "from igny8.api.openapi_spec import build_spec\n"
        "build_spec()\n"
        "worker = ('rq', 'rq_scheduler', 'igny8.queues', 'igny8.periodic', 'igny8.automation', 'igny8.ai')\n"
        "new = set(sys.modules) - before\n"
        "bad = sorted(m for m in new if m in worker or m.startswith(tuple(w + '.' for w in worker)))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_response_schemas_refuse_missing_unknown_and_non_utc_values(api, spec, client):
    contract = Contract(spec, client)
    site = api.get(f"/api/v1/sites/{api.create_site()}").get_json()
    assert contract.errors_against(site, "components", "schemas", "Site") == []
    assert contract.errors_against({**site, "secret": 1}, "components", "schemas", "Site")
    assert contract.errors_against({k: v for k, v in site.items() if k != "domain"}, "components", "schemas", "Site")
    offset = {**site, "created_at": site["created_at"].replace("Z", "+00:00")}
    assert contract.errors_against(offset, "components", "schemas", "Site")
    assert contract.errors_against({**site, "domain": None}, "components", "schemas", "Site") == []


def test_every_documented_answer_matches_what_the_api_returns(app, client, api, tenant, make_tenant, spec):
    contract = Contract(spec, client)
    bearer = {"headers": tenant.headers}
    anonymous = app.test_client()
    session = app.test_client()
    csrf_token = login(session, tenant.email)

    site_id = api.create_site("Pumps", "pumps.example")
    second_site = api.create_site("Second", "second.example")
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
        second = build_pipeline(tenant.account_id, second_site)
        generate_image(second["image"])
    # Runs: one running with a worker's lease and live snapshot, one worked through to the end.
    running, completed = run_now(contract, site_id, bearer), run_now(contract, second_site, bearer)
    with app.app_context():
        work_on(running)
        run_to_completion(completed)
    token_id = api.get("/api/v1/auth/tokens").get_json()["results"][0]["id"]
    ids = {"site_id": site_id, "token_id": token_id, "run_id": running, **{f"{k}_id": v for k, v in ids.items()}}
    second = {"site_id": second_site, "token_id": token_id, "run_id": completed,
              **{f"{k}_id": v for k, v in second.items()}}

    # Another account's objects: the documented 404s must also hold across tenants.
    other = make_tenant("other@example.com")
    other_api = Api(client, other)
    other_site = other_api.create_site("Theirs", "theirs.example")
    with app.app_context():
        theirs = build_pipeline(other.account_id, other_site)
    other_token = other_api.get("/api/v1/auth/tokens").get_json()["results"][0]["id"]
    other_run = run_now(contract, other_site, {"headers": other.headers})
    foreign = {"site_id": other_site, "token_id": other_token, "run_id": other_run,
               **{f"{k}_id": v for k, v in theirs.items()}}

    operations = documented_operations(spec)
    for (path, method), op in operations.items():
        path_ids, query = arguments(op, ids)
        provoke_errors(contract, app, path, method, path_ids, query, foreign, anonymous, session, bearer)
        if method == "get":
            read_everything(contract, path, ids, bearer)
            probe_query_parameters(contract, path, path_ids, query, bearer)

    # The session cookie is a documented way in.
    contract.call("get", "/api/v1/sites/", client=session, expect=200)
    contract.call("get", "/api/v1/openapi.json", client=anonymous, expect=200)

    # Sites.
    contract.call("post", "/api/v1/sites/", json={"name": "Blog", "domain": "blog.example",
                                                    "timezone": "Europe/London"}, expect=201, **bearer)
    contract.call("post", "/api/v1/sites/", json={"name": "Blog", "timezone": "Mars/Base"}, expect=400, **bearer)

    # Keywords: bulk create and CSV import.
    keywords = "/api/v1/planner/keywords/"
    here = {"site_id": site_id}
    body = {"keywords": [{"keyword": "Sump Pump Repair", "volume": 90, "difficulty": 20, "cpc": 1.5,
                          "intent": "Commercial"}, {"keyword": "sump pump"}, {"keyword": "pit  liner"}]}
    created = contract.call("post", keywords, query=here, json=body, expect=201, **bearer).get_json()
    assert (created["created"], created["duplicates"]) == (2, 1)
    contract.call("post", keywords, query=here, json={"keywords": [{"keyword": "ok", "volume": -1}]},
                  expect=400, **bearer)
    upload = "/api/v1/planner/keywords/import"
    csv = b"Keyword,Volume,KD,CPC,Intent\ndrain pump,1200,30,0.8,Informational\n,5,5,,\nbilge pump,abc,4,,\n"
    imported = contract.call("post", upload, query=here, data={"file": (io.BytesIO(csv), "kw.csv")},
                             content_type="multipart/form-data", expect=201, **bearer).get_json()
    assert (imported["created"], imported["total_rows"], [e["row"] for e in imported["errors"]]) == (1, 3, [3, 4])
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    contract.call("post", upload, query=here, data={"file": (io.BytesIO(png), "kw.csv")},
                  content_type="multipart/form-data", expect=400, **bearer)

    # Review actions: content in review can be approved or rejected once.
    approve, reject = "/api/v1/writer/content/{content_id}/approve", "/api/v1/writer/content/{content_id}/reject"
    first, other_content = {"content_id": ids["content_id"]}, {"content_id": second["content_id"]}
    assert contract.call("post", approve, first, expect=200, **bearer).get_json()["status"] == "approved"
    contract.call("post", approve, first, expect=400, **bearer)
    rejected = contract.call("post", reject, other_content, json={"reason": "Too thin"}, expect=200, **bearer)
    assert rejected.get_json()["reject_reason"] == "Too thin"
    contract.call("post", reject, other_content, json={"reason": "Again"}, expect=400, **bearer)
    contract.call("post", reject, first, json={}, expect=400, **bearer)

    # Tokens: issue, refuse, revoke, rate limit.
    token = "/api/v1/auth/token"
    credentials = {"email": tenant.email, "password": PASSWORD, "name": "ci"}
    contract.call("post", token, json=credentials, client=anonymous, expect=201)
    contract.call("post", token, json={**credentials, "password": "wrong"}, client=anonymous, expect=401)
    contract.call("post", token, json={"email": tenant.email}, client=anonymous, expect=400)
    newest = api.get("/api/v1/auth/tokens").get_json()["results"][-1]
    assert newest["name"] == "ci"
    contract.call("delete", "/api/v1/auth/tokens/{token_id}", {"token_id": newest["id"]}, expect=204, **bearer)
    for _ in range(12):
        if contract.call("post", token, json=credentials, client=anonymous).status_code == 429:
            break
    else:
        pytest.fail("the token endpoint never answered the documented 429")

    # Automation settings: any subset; invalid values, nulls and read-only fields are refused.
    settings = {"is_enabled": True, "frequency": "weekly", "scheduled_time": "09:30", "timezone": "Europe/Berlin",
                "stage_4_batch_size": 3, "between_stage_delay": 5, "ai_concurrency": 2}
    config = contract.call("put", A + "update_config", query=here, json=settings, expect=200, **bearer).get_json()
    assert {k: config[k] for k in settings} == settings and config["next_run_at"]
    for invalid in ({"frequency": "hourly"}, {"scheduled_time": "9:30"}, {"stage_6_batch_size": 101},
                    {"within_stage_delay": -1}, {"ai_concurrency": "4"}, {"timezone": "Nowhere/City"},
                    {"is_enabled": None}, {"next_run_at": None}, {"site_id": second_site}, {"colour": "blue"},
                    [settings]):
        refused = contract.call("put", A + "update_config", query=here, json=invalid, expect=400, **bearer)
        assert refused.get_json()["code"] == "validation_error" and refused.get_json()["fields"], invalid
    assert contract.call("get", A + "config", query=here, expect=200, **bearer).get_json() == config
    # A session sends the page's CSRF token with unsafe methods.
    contract.call("put", A + "update_config", query=here, json={"scheduled_time": "10:15"}, client=session,
                  headers={"X-CSRFToken": csrf_token}, expect=200)

    def control(action: str, run_id: str, expect: int, site: int = site_id, auth: dict = bearer) -> dict:
        query = {"site_id": site, "run_id": run_id}
        return contract.call("post", A + action, query=query, expect=expect, **auth).get_json()

    # Runs: one active run per site; pause, resume and cancel only where the run's state allows.
    assert contract.call("post", A + "run_now", query=here, expect=400, **bearer).get_json()["code"] == \
        "already_running"
    assert control("resume", running, 400)["code"] == "invalid_state"
    paused = control("pause", running, 200)
    assert paused["status"] == "paused" and paused["paused_at"] and paused["pause_reason"]
    assert control("pause", running, 400)["code"] == "invalid_state"
    ours = {**here, "run_id": running}
    assert contract.call("get", A + "current_processing", query=ours, expect=200, **bearer).get_json() == \
        {"processing": None}
    current = contract.call("get", A + "current_run", query=here, expect=200, **bearer).get_json()["run"]
    assert {**current, "lock": None} == {**paused, "lock": None}  # the lock's ttl_seconds ticks
    resumed = control("resume", running, 200)
    assert resumed["status"] == "running" and resumed["resumed_at"] and resumed["pause_reason"] is None
    cancelled = control("cancel", running, 200)
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] and cancelled["lock"] is None
    for action in ("pause", "resume", "cancel"):
        assert control(action, running, 400)["code"] == "invalid_state"
        assert control(action, completed, 400, site=second_site)["code"] == "invalid_state"
    # A run is found only on its own site (and account: see provoke_errors).
    contract.call("get", A + "run_detail", query={"site_id": second_site, "run_id": running}, expect=404, **bearer)
    control("cancel", completed, 404)
    newest = run_now(contract, site_id, bearer)
    history = contract.call("get", A + "history", query=here, expect=200, **bearer).get_json()["runs"]
    assert [(r["run_id"], r["status"]) for r in history] == [(newest, "running"), (running, "cancelled")]
    done = contract.call("get", A + "run_detail", query={"site_id": second_site, "run_id": completed}, expect=200,
                         **bearer).get_json()["run"]
    assert done["status"] == "completed" and all(done[f"stage_{n}_result"] is not None for n in range(1, 8))
    assert contract.call("get", A + "current_run", query={"site_id": second_site}, expect=200,
                         **bearer).get_json() == {"run": None}
    tail = contract.call("get", A + "logs", query={"run_id": completed, "lines": 2}, expect=200, **bearer).get_json()
    assert len(tail["lines"]) == 2 and tail["lines"][-1].endswith("Run completed")

    # Credits: run_now needs 1.2 × the estimate, resume a non-empty balance while work is pending.
    poor = make_tenant("poor@example.com", credits=0)
    poor_auth = {"headers": poor.headers}
    poor_site = Api(client, poor).create_site("Poor", "poor.example")
    poor_here = {"site_id": poor_site}
    assert contract.call("get", A + "estimate", query=poor_here, expect=200, **poor_auth).get_json()["sufficient"]
    poor_run = run_now(contract, poor_site, poor_auth)  # nothing to do costs nothing
    control("pause", poor_run, 200, site=poor_site, auth=poor_auth)
    pending = {"keywords": [{"keyword": f"pump part {i}", "volume": 10 * i} for i in range(12)]}
    contract.call("post", keywords, query=poor_here, json=pending, expect=201, **poor_auth)
    estimate = contract.call("get", A + "estimate", query=poor_here, expect=200, **poor_auth).get_json()
    assert not estimate["sufficient"] and estimate["estimated_credits"] > 0
    assert control("resume", poor_run, 400, site=poor_site, auth=poor_auth)["code"] == "insufficient_credits"
    control("cancel", poor_run, 200, site=poor_site, auth=poor_auth)
    refused = contract.call("post", A + "run_now", query=poor_here, expect=400, **poor_auth).get_json()
    assert refused["code"] == "insufficient_credits"

    # Ledger: the account's grants and charges, newest first. A run worked in-process leaves charges
    # that name it; `run_id` filters, and a run of another account (or none) yields an empty page.
    ledger = "/api/v1/billing/ledger"
    ledger_site = api.create_site("Ledger", "ledger.example")
    words = {"keywords": [{"keyword": f"sump pump {w}", "volume": 10 * n}
                          for n, w in enumerate(("repair", "cost", "install", "noise", "alarm", "battery"), 1)]}
    contract.call("post", keywords, query={"site_id": ledger_site}, json=words, expect=201, **bearer)
    charged = run_now(contract, ledger_site, bearer)
    with app.app_context():
        run_to_completion(charged)
        charge_by_tokens_and_top_up(tenant.account_id, charged, ledger_site)
    everything = contract.call("get", ledger, query={"page_size": 200}, expect=200, **bearer).get_json()
    rows = everything["results"]
    assert everything["count"] == len(rows) and [r["id"] for r in rows] == sorted((r["id"] for r in rows),
                                                                                   reverse=True)
    assert (rows[0]["operation"], rows[0]["note"], rows[-1]["operation"]) == ("top_up", "CLI top-up", "signup_grant")
    balance = contract.call("get", A + "estimate", query={"site_id": ledger_site}, expect=200,
                            **bearer).get_json()["current_balance"]
    assert rows[0]["balance_after"] == balance
    of_run = contract.call("get", ledger, query={"run_id": charged}, expect=200, **bearer).get_json()["results"]
    assert of_run == [r for r in rows if r["run_id"] == charged]
    assert {r["stage"] for r in of_run} >= {1, 2, 4, 5, 6} and all(r["amount"] < 0 for r in of_run)
    assert {r["site_id"] for r in of_run} == {ledger_site} and any(r["tokens_in"] for r in of_run)
    assert contract.call("get", ledger, query={"run_id": charged, "page": 2, "page_size": 1}, expect=200,
                         **bearer).get_json()["results"] == of_run[1:2]
    for nothing in (other_run, MISSING_RUN, running):
        page = contract.call("get", ledger, query={"run_id": nothing}, expect=200, **bearer).get_json()
        assert (page["count"], page["results"]) == (0, []), nothing
    refused = contract.call("get", ledger, query={"run_id": "r" * 41}, expect=400, **bearer).get_json()
    assert refused["code"] == "validation_error" and "run_id" in refused["fields"]
    theirs_ledger = contract.call("get", ledger, expect=200, headers=other.headers).get_json()["results"]
    assert [r["operation"] for r in theirs_ledger] == ["signup_grant"]

    # AI settings: a key is write-only (only its last four characters come back) and stored encrypted.
    integration, connection_test = "/api/v1/settings/integration", "/api/v1/settings/integration/test"
    initial = contract.call("get", integration, expect=200, **bearer).get_json()
    assert (initial["provider"], initial["effective_provider"], initial["has_api_key"]) == ("auto", "offline", False)
    assert contract.call("post", connection_test, expect=200, **bearer).get_json() == {
        "ok": True, "provider": "offline", "model": "offline", "latency_ms": 0, "structured_outputs": "not needed",
        "error": None}
    refused = contract.call("put", integration, json={"image_provider": "runware"}, expect=400, **bearer).get_json()
    assert refused["code"] == "validation_error" and list(refused["fields"]) == ["runware_api_key"]
    assert contract.call("get", integration, expect=200, **bearer).get_json() == initial
    secret, runware_secret = "sk-test-0123456789abcdefWXYZ", "rw-test-9876543210"
    changes = {"provider": "openai", "api_key": f"  {secret} ", "base_url": "https://llm.example/v1",
               "models": {"clustering": "gpt-4.1-mini", "content": ""}, "image_provider": "runware",
               "runware_api_key": runware_secret, "image_model": "runware:100@1", "image_size": "512x512",
               "request_timeout": 30, "max_retries": 0, "prompt_overrides": {"ideas": "Ideas for $cluster_name"}}
    saved = contract.call("put", integration, json=changes, expect=200, **bearer)
    assert secret not in saved.get_data(as_text=True) and runware_secret not in saved.get_data(as_text=True)
    body = saved.get_json()
    assert (body["api_key_last4"], body["has_api_key"], body["uses_environment_key"]) == ("WXYZ", True, False)
    assert (body["effective_provider"], body["effective_base_url"]) == ("openai", "https://llm.example/v1")
    assert body["models"] == {"clustering": "gpt-4.1-mini"} and body["effective_models"]["clustering"] == \
        "gpt-4.1-mini"
    assert (body["effective_image_provider"], body["has_runware_key"], body["image_size"]) == \
        ("runware", True, "512x512")
    assert contract.call("get", integration, expect=200, **bearer).get_json() == body
    with app.app_context():
        from igny8.services.secrets_box import decrypt

        row = stored_settings(tenant.account_id)
        stored = " ".join(str(getattr(row, column.key)) for column in row.__table__.columns)
        assert secret not in stored and runware_secret not in stored and "WXYZ" in stored
        assert (decrypt(row.api_key_encrypted), decrypt(row.runware_api_key_encrypted)) == (secret, runware_secret)
    # Invalid values are refused with the field named, and nothing of the request is saved.
    for invalid, name in (({"provider": "anthropic"}, "provider"), ({"base_url": "ftp://llm.example"}, "base_url"),
                          ({"image_size": "large"}, "image_size"), ({"request_timeout": 4}, "request_timeout"),
                          ({"request_timeout": 901}, "request_timeout"), ({"request_timeout": "30"}, "request_timeout"),
                          ({"max_retries": 11}, "max_retries"), ({"models": {"writing": "x"}}, "models.writing"),
                          ({"api_key": "sk-new", "colour": "blue"}, "colour"),
                          ({"api_key": "sk-new", "runware_api_key": ""}, "runware_api_key")):
        refused = contract.call("put", integration, json=invalid, expect=400, **bearer).get_json()
        assert refused["code"] == "validation_error" and name in refused["fields"], (invalid, refused)
    assert contract.call("get", integration, expect=200, **bearer).get_json() == body
    # Clearing the keys; a provider that needs a key then fails its test without calling anything.
    cleared = contract.call("put", integration, json={"api_key": "", "image_provider": "auto",
                                                      "runware_api_key": None}, expect=200, **bearer).get_json()
    assert (cleared["has_api_key"], cleared["api_key_last4"], cleared["has_runware_key"]) == (False, None, False)
    with app.app_context():
        row = stored_settings(tenant.account_id)
        assert (row.api_key_encrypted, row.api_key_last4, row.runware_api_key_encrypted) == (None, None, None)
    failed = contract.call("post", connection_test, expect=200, **bearer).get_json()
    assert (failed["ok"], failed["provider"], failed["structured_outputs"]) == (False, "openai", None)
    assert failed["error"]
    # Back to offline (so nothing later can call a server); a session sends the CSRF token.
    contract.call("put", integration, json={"provider": "auto", "base_url": ""}, client=session,
                  headers={"X-CSRFToken": csrf_token}, expect=200)
    assert contract.call("post", connection_test, expect=200, **bearer).get_json()["provider"] == "offline"

    # Read everything again: the changes above filled fields that were null (cpc, reviewed_at,
    # reject_reason, revoked_at, a run's paused_at, …), so their non-null form is validated too.
    for (path, method) in operations:
        if method == "get":
            for known in (ids, second):
                read_everything(contract, path, known, bearer)

    documented_ops = set(operations)
    exercised_ops = {(path, method) for method, path, _, _ in contract.seen}
    assert exercised_ops == documented_ops
    documented = documented_answers(spec)
    assert set(NOT_EXERCISED) <= documented, "NOT_EXERCISED names answers the document does not have"
    assert not set(NOT_EXERCISED) & contract.seen, "answers in NOT_EXERCISED were observed: remove them there"
    promised = documented - set(NOT_EXERCISED)
    assert promised - contract.seen == set(), "documented answers never observed"
    assert contract.seen - promised == set(), "observed answers missing from the document"
