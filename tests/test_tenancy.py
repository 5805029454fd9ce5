"""Tenant isolation: a second account using the first account's ids gets 404 on every route."""

import io
import re

import pytest

from tests.factories import build_pipeline

# Routes that take no site, run or object id: nothing of another tenant can be named; the
# account-level ones act on the caller's own account (the ledger's run_id is only a filter).
UNSCOPED = {
    "api.create_auth_token", "api.openapi_json", "api.sites_list", "api.sites_create", "api.list_tokens",
    "api.integration_get", "api.integration_update", "api.integration_test", "api.ledger_list",
}


@pytest.fixture
def victim(app, make_tenant, client):
    """The first account with one of everything; returns its ids."""
    owner = make_tenant("victim@example.com")
    resp = client.post("/api/v1/sites/", json={"name": "Victim"}, headers=owner.headers)
    site_id = resp.get_json()["id"]
    with app.app_context():
        ids = build_pipeline(owner.account_id, site_id)
        from igny8.models import ApiToken

        ids["token"] = ApiToken.query.filter_by(account_id=owner.account_id).first().id
    ids["site"] = site_id
    started = client.post(f"/api/v1/automation/run_now?site_id={site_id}", headers=owner.headers)
    ids["run"] = started.get_json()["run_id"]
    return ids


def _api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint not in UNSCOPED]


def _fill(rule, ids):
    path = rule.rule
    for name in re.findall(r"<(?:\w+:)?(\w+)>", path):
        key = name.removesuffix("_id")
        path = re.sub(rf"<(?:\w+:)?{name}>", str(ids[key]), path)
    return path


def test_every_scoped_api_route_is_404_for_another_account(app, client, make_tenant, victim):
    attacker = make_tenant("attacker@example.com")
    client.post("/api/v1/sites/", json={"name": "Mine"}, headers=attacker.headers)
    checked = []
    for rule in _api_rules(app):
        path = _fill(rule, victim) + f"?site_id={victim['site']}&run_id={victim['run']}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            kwargs = {"headers": attacker.headers}
            if method in ("POST", "PUT"):
                if rule.endpoint == "api.keywords_import":
                    kwargs.update(data={"file": (io.BytesIO(b"Keyword\na\n"), "k.csv")},
                                  content_type="multipart/form-data")
                else:
                    kwargs["json"] = {"keywords": [{"keyword": "x"}], "reason": "x"}
            resp = client.open(path, method=method, **kwargs)
            assert resp.status_code == 404, (method, path, resp.get_json())
            assert resp.get_json()["code"] == "not_found"
            checked.append(rule.endpoint)
    assert len(set(checked)) >= 27


def test_another_accounts_run_id_alone_is_404(client, make_tenant, victim):
    attacker = make_tenant("attacker@example.com")
    mine = client.post("/api/v1/sites/", json={"name": "Mine"}, headers=attacker.headers).get_json()["id"]
    for path in (f"/api/v1/automation/logs?run_id={victim['run']}",
                 f"/api/v1/automation/run_detail?site_id={mine}&run_id={victim['run']}"):
        assert client.get(path, headers=attacker.headers).status_code == 404
    resp = client.post(f"/api/v1/automation/cancel?site_id={mine}&run_id={victim['run']}", headers=attacker.headers)
    assert resp.status_code == 404


def test_ledger_filtered_by_another_accounts_run_is_empty(client, make_tenant, victim):
    attacker = make_tenant("attacker@example.com")
    resp = client.get(f"/api/v1/billing/ledger?run_id={victim['run']}", headers=attacker.headers)
    assert resp.status_code == 200 and resp.get_json()["count"] == 0


def test_another_accounts_site_is_absent_from_lists(client, make_tenant, victim):
    attacker = make_tenant("attacker@example.com")
    assert client.get("/api/v1/sites/", headers=attacker.headers).get_json()["count"] == 0


def test_victim_data_is_untouched_after_attack(app, client, make_tenant, victim):
    attacker = make_tenant("attacker@example.com")
    client.post(f"/api/v1/writer/content/{victim['content']}/approve", headers=attacker.headers)
    with app.app_context():
        from igny8.extensions import db
        from igny8.models import Content

        assert db.session.get(Content, victim["content"]).status == "review"


def test_pages_with_another_accounts_site_id_are_404(client, auth, make_tenant, victim):
    make_tenant("attacker@example.com")
    auth.login("attacker@example.com")
    assert client.get(f"/automation?site_id={victim['site']}").status_code == 404


def test_media_of_another_account_is_404(client, auth, make_tenant, victim, app):
    make_tenant("attacker@example.com")
    auth.login("attacker@example.com")
    with app.app_context():
        from igny8.models import Account

        victim_account = Account.query.order_by(Account.id).first().id
    assert client.get(f"/media/{victim_account}/1/x.png").status_code == 404
