"""Sites, Planner and Writer endpoints: happy paths and their errors."""

import io

import pytest

from tests.factories import build_pipeline


@pytest.fixture
def site_id(api):
    return api.create_site("Pumps", "pumps.example")


@pytest.fixture
def pipeline(app, tenant, site_id):
    with app.app_context():
        return build_pipeline(tenant.account_id, site_id)


def test_sites_create_and_list(api):
    resp = api.post("/api/v1/sites/", json={"name": "Blog", "domain": "blog.example", "timezone": "Europe/London"})
    assert resp.status_code == 201
    site = resp.get_json()
    assert site["name"] == "Blog" and site["timezone"] == "Europe/London"
    listed = api.get("/api/v1/sites").get_json()  # no trailing slash works too
    assert listed["count"] == 1 and listed["results"][0]["id"] == site["id"]
    assert api.get(f"/api/v1/sites/{site['id']}").get_json()["domain"] == "blog.example"


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": 5}, "name"),
    ({"name": "ok", "colour": "red"}, "colour"),
    ({"name": "ok", "timezone": "Mars/Base"}, "timezone"),
])
def test_sites_create_rejects_bad_input_with_field(api, body, field):
    resp = api.post("/api/v1/sites/", json=body)
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["code"] == "validation_error" and field in data["fields"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"null"])
def test_malformed_or_non_object_json_is_400(api, raw):
    resp = api.post("/api/v1/sites/", data=raw, content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "validation_error"


def test_keywords_bulk_create_counts_duplicates_after_normalising(api, site_id):
    resp = api.post(f"/api/v1/planner/keywords/?site_id={site_id}", json={"keywords": [
        {"keyword": "Sump Pump", "volume": 100, "difficulty": 20, "cpc": 1.5, "intent": "Commercial, Informational"},
        {"keyword": "  sump   pump "},
        {"keyword": "best sump pump", "volume": 0},
    ]})
    assert resp.status_code == 201
    assert resp.get_json() == {"created": 2, "duplicates": 1, "errors": []}
    again = api.post(f"/api/v1/planner/keywords/?site_id={site_id}", json={"keywords": [{"keyword": "SUMP PUMP"}]})
    assert again.get_json() == {"created": 0, "duplicates": 1, "errors": []}
    listed = api.get(f"/api/v1/planner/keywords/?site_id={site_id}&ordering=-volume").get_json()
    assert listed["count"] == 2
    first = listed["results"][0]
    assert (first["keyword"], first["volume"], first["cpc"], first["intent"]) == ("Sump Pump", 100, 1.5, "commercial")


@pytest.mark.parametrize("item, field", [
    ({"keyword": "x" * 10_000}, "keywords.0.keyword"),
    ({"keyword": "ok", "volume": -5}, "keywords.0.volume"),
    ({"keyword": "ok", "volume": "100"}, "keywords.0.volume"),
    ({"keyword": "ok", "difficulty": 101}, "keywords.0.difficulty"),
    ({"keyword": "ok", "intent": "curious"}, "keywords.0.intent"),
    ({"keyword": "ok", "rank": 1}, "keywords.0.rank"),
    ({"keyword": "   "}, "keywords.0.keyword"),
])
def test_keywords_bulk_create_rejects_whole_request_on_bad_item(api, site_id, item, field):
    resp = api.post(f"/api/v1/planner/keywords/?site_id={site_id}",
                    json={"keywords": [{"keyword": "good one"}, item]})
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["code"] == "validation_error"
    assert field.replace("keywords.0", "keywords.1") in data["fields"]
    assert api.get(f"/api/v1/planner/keywords/?site_id={site_id}").get_json()["count"] == 0


def test_keyword_list_filters_search_and_pagination(api, site_id):
    words = [{"keyword": f"pump model {i}", "volume": i} for i in range(30)] + [{"keyword": "100%_match"}]
    api.post(f"/api/v1/planner/keywords/?site_id={site_id}", json={"keywords": words})
    base = f"/api/v1/planner/keywords/?site_id={site_id}"
    page = api.get(base + "&page=2&page_size=10&ordering=-volume").get_json()
    assert page["count"] == 31 and len(page["results"]) == 10
    assert page["results"][0]["volume"] == 19
    assert api.get(base + "&search=MODEL 2").get_json()["count"] == 1 + 10  # 2 and 20-29
    assert api.get(base + "&search=%25_").get_json()["count"] == 1  # % and _ are literal
    assert api.get(base + "&status=new").get_json()["count"] == 31
    assert api.get(base + "&status=mapped").get_json()["count"] == 0


@pytest.mark.parametrize("query, field", [
    ("&page_size=500", "page_size"), ("&page=0", "page"), ("&status=bogus", "status"),
    ("&ordering=random", "ordering"), ("&cluster_id=abc", "cluster_id"),
])
def test_keyword_list_bad_query_is_400(api, site_id, query, field):
    resp = api.get(f"/api/v1/planner/keywords/?site_id={site_id}{query}")
    assert resp.status_code == 400
    assert field in resp.get_json()["fields"]


def test_missing_site_id_is_missing_parameter(api):
    for path in ("/api/v1/planner/keywords/", "/api/v1/planner/clusters/", "/api/v1/writer/content/"):
        resp = api.get(path)
        assert resp.status_code == 400
        assert resp.get_json()["code"] == "missing_parameter"


def test_non_integer_site_id_is_400_and_unknown_is_404(api):
    assert api.get("/api/v1/planner/keywords/?site_id=abc").status_code == 400
    resp = api.get("/api/v1/planner/keywords/?site_id=999999")
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"


def test_csv_import_reports_bad_rows_and_imports_good_ones(api, site_id):
    csv = b"Keyword,Volume,KD\nsump pump,1200,30\n,5,5\nbest sump pump,abc,4\nwater pump,\"1,500\",n/a\n"
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(csv), "kw.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["created"] == 2 and data["duplicates"] == 0
    assert [e["row"] for e in data["errors"]] == [3, 4]
    listed = api.get(f"/api/v1/planner/keywords/?site_id={site_id}").get_json()["results"]
    vols = {k["keyword"]: k["volume"] for k in listed}
    assert vols == {"sump pump": 1200, "water pump": 1500}


def test_csv_import_of_png_is_400_and_imports_nothing(api, site_id):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(png), "kw.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "PNG" in resp.get_json()["fields"]["file"]


def test_csv_import_without_file_is_400(api, site_id):
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.get_json()["fields"] == {"file": "required"}


def test_csv_import_over_size_limit_is_413(app, api, site_id):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = b"Keyword\n" + b"pump\n" * 1000
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(big), "kw.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "payload_too_large"


def test_csv_import_over_row_limit_is_400(app, api, site_id):
    app.config["IMPORT_MAX_ROWS"] = 5
    csv = b"Keyword\n" + b"".join(f"pump {i}\n".encode() for i in range(6))
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(csv), "kw.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "5" in resp.get_json()["error"]


def test_planner_and_writer_lists_and_details(api, site_id, pipeline):
    q = f"?site_id={site_id}"
    clusters = api.get("/api/v1/planner/clusters/" + q).get_json()
    assert clusters["count"] == 1 and clusters["results"][0]["provider"] == "offline"
    detail = api.get(f"/api/v1/planner/clusters/{pipeline['cluster']}").get_json()
    assert [k["keyword"] for k in detail["keywords"]] == ["sump pump", "best sump pump"]
    ideas = api.get("/api/v1/planner/ideas/" + q + "&status=completed").get_json()
    assert ideas["results"][0]["outline"][0]["word_budget"] == 300
    assert api.get(f"/api/v1/planner/ideas/{pipeline['idea']}").get_json()["title"] == "Sump pumps explained"
    assert api.get("/api/v1/writer/tasks/" + q).get_json()["count"] == 1
    assert api.get(f"/api/v1/writer/tasks/{pipeline['task']}").get_json()["status"] == "completed"
    assert api.get("/api/v1/writer/content/" + q + "&status=review").get_json()["count"] == 1
    assert api.get("/api/v1/writer/content/" + q + "&status=approved").get_json()["count"] == 0
    article = api.get(f"/api/v1/writer/content/{pipeline['content']}").get_json()
    assert article["html"].startswith("<h2>") and article["images"][0]["prompt"] == "a sump pump"
    assert api.get("/api/v1/writer/images/" + q + "&status=pending").get_json()["count"] == 1


def test_approve_content_in_review(api, pipeline):
    resp = api.post(f"/api/v1/writer/content/{pipeline['content']}/approve")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "approved"
    again = api.post(f"/api/v1/writer/content/{pipeline['content']}/approve")
    assert again.status_code == 400 and again.get_json()["code"] == "invalid_state"


def test_reject_needs_reason_and_records_it(api, pipeline):
    path = f"/api/v1/writer/content/{pipeline['content']}/reject"
    assert api.post(path, json={}).status_code == 400
    resp = api.post(path, json={"reason": "Too thin"})
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "rejected" and resp.get_json()["reject_reason"] == "Too thin"


def test_approve_of_draft_content_is_invalid_state(app, api, tenant, site_id):
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id, status="draft")
    resp = api.post(f"/api/v1/writer/content/{ids['content']}/approve")
    assert resp.status_code == 400 and resp.get_json()["code"] == "invalid_state"


def test_unknown_api_route_is_json_404(api):
    resp = api.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"


def test_wrong_method_is_json_405(api):
    resp = api.delete("/api/v1/sites/")
    assert resp.status_code == 405 and resp.get_json()["code"] == "method_not_allowed"
