"""Settings: AI integration form (masked keys, test connection), API tokens, the credit ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from igny8.extensions import db
from igny8.models import ApiToken, IntegrationSettings
from tests.test_web_support import make_run, make_site, run_pk

HX = {"HX-Request": "true"}



def integration_data(**changes) -> dict:
    """A valid integration form submission with ``changes`` applied (None drops a field)."""
    data = {"provider": "openai", "api_key": "", "base_url": "http://127.0.0.1:9/v1", "model_clustering": "small-1",
            "model_ideas": "", "model_content": "big-2", "model_image_prompts": "", "image_provider": "offline",
            "image_model": "", "image_size": "512x512", "runware_api_key": "", "request_timeout": "30",
            "max_retries": "1"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_renders_every_section(logged_in):
    html = logged_in.get("/settings").data.decode()
    for anchor in ('id="integration"', 'id="tokens"', 'id="ledger"', 'id="sites"'):
        assert anchor in html
    assert "Now using: <strong>offline</strong>" in html
    for name in ("provider", "api_key", "base_url", "model_clustering", "image_provider", "request_timeout", "name"):
        assert f'<label for="{name}"' in html, name
    assert "signup grant" in html and "+1,000.00" in html  # the starting credits are the first ledger row


def test_integration_form_saves_and_never_shows_the_key(app, logged_in, tenant):
    resp = logged_in.post("/settings/integration", data=integration_data(api_key="sk-test-secret-9876"))
    assert resp.status_code == 303
    html = logged_in.get(resp.headers["Location"]).data.decode()
    assert "AI settings saved." in html
    assert "sk-test-secret-9876" not in html and "Saved key ends in <code>9876</code>" in html
    assert 'value="small-1"' in html and 'value="http://127.0.0.1:9/v1"' in html
    assert "Now using: <strong>openai</strong>" in html
    with app.app_context():
        row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == tenant.account_id))
        assert row.models == {"clustering": "small-1", "content": "big-2"} and row.request_timeout == 30
        assert row.api_key_last4 == "9876" and "sk-test" not in (row.api_key_encrypted or "")
    # An empty key field keeps the saved key; the "remove" box clears it.
    logged_in.post("/settings/integration", data=integration_data(model_content=""))
    with app.app_context():
        row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == tenant.account_id))
        assert row.api_key_last4 == "9876" and row.models == {"clustering": "small-1"}
    logged_in.post("/settings/integration", data=integration_data(clear_api_key="y"))
    with app.app_context():
        row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == tenant.account_id))
        assert row.api_key_encrypted is None and row.api_key_last4 is None


@pytest.mark.parametrize("changes,field,message", [
    ({"base_url": "ftp://example.com"}, "base_url", "Must start with http:// or https://"),
    ({"request_timeout": "1"}, "request_timeout", "Input should be greater than or equal to 5"),
    ({"max_retries": "x"}, "max_retries", "Not a valid integer value."),
    ({"image_size": "big"}, "image_size", "String should match pattern"),
    ({"provider": "skynet"}, "provider", "Input should be"),
    ({"image_provider": "runware"}, "runware_api_key", "Runware needs an API key"),
])
def test_integration_form_errors_are_inline(app, logged_in, tenant, changes, field, message):
    resp = logged_in.post("/settings/integration", data=integration_data(**changes))
    assert resp.status_code == 422
    html = resp.data.decode()
    error = html.split(f'id="{field}"')[1].split("</div>")[0]
    assert message in error, error
    with app.app_context():
        row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == tenant.account_id))
        assert row is None or row.provider == "auto"


def test_test_connection_reports_the_result(logged_in):
    fragment = logged_in.post("/settings/integration/test", headers=HX).data.decode()
    assert fragment.startswith('<div id="test-result"') and "✓ Connected to <strong>offline</strong>" in fragment
    logged_in.post("/settings/integration", data=integration_data(provider="openai", api_key=""))
    page = logged_in.post("/settings/integration/test").data.decode()
    assert "✗ The connection test failed" in page and "No API key is set" in page


def test_tokens_are_shown_once_work_and_can_be_revoked(app, client, logged_in, tenant):
    resp = logged_in.post("/settings/tokens", data={"name": "reporting script"})
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    html = resp.data.decode()
    secret = html.split('class="token-value" readonly value="')[1].split('"')[0]
    assert secret.startswith("igny8_") and "shown only once" in html
    assert secret not in logged_in.get("/settings").data.decode()
    api = app.test_client()
    assert api.get("/api/v1/sites/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "reporting script"))
    resp = logged_in.post(f"/settings/tokens/{token_id}/revoke")
    assert resp.status_code == 303
    assert "Token revoked" in logged_in.get("/settings").data.decode()
    assert api.get("/api/v1/sites/", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    bad = logged_in.post("/settings/tokens", data={"name": ""})
    assert bad.status_code == 422 and 'id="name-error"' in bad.data.decode()


def test_another_accounts_token_cannot_be_revoked(app, logged_in, make_tenant):
    other = make_tenant("other@example.com")
    with app.app_context():
        their = db.session.scalar(select(ApiToken.id).where(ApiToken.account_id == other.account_id))
    assert logged_in.post(f"/settings/tokens/{their}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, their).revoked_at is None


def test_ledger_is_paged_and_filters_per_run(app, logged_in, tenant):
    from igny8.automation import credits

    site_id = make_site(app, tenant.account_id)
    run_a, run_b = make_run(app, site_id, "completed"), make_run(app, site_id, "failed")
    with app.app_context():
        for i in range(55):
            run = run_a if i % 2 else run_b
            credits.charge(tenant.account_id, Decimal("1.5"), f"test:{i}", operation="content", run_pk=run_pk(app, run),
                           site_id=site_id, stage=4, object_type="content", object_id=i, note=f"note {i}")
        db.session.commit()
    html = logged_in.get("/settings").data.decode()
    ledger = html.split('id="ledger"')[1]
    assert "Showing 1–50 of 56" in ledger and ledger.count("<tr>") == 51
    assert "-1.50" in ledger and "content #54" in ledger
    page2 = logged_in.get("/settings?page=2").data.decode().split('id="ledger"')[1]
    assert "Showing 51–56 of 56" in page2 and "signup grant" in page2
    only_a = logged_in.get(f"/settings?run_id={run_a}").data.decode().split('id="ledger"')[1]
    assert "Showing 1–27 of 27" in only_a and run_b not in only_a.split("<tbody>")[1]
    assert f'<option value="{run_a}" selected>' in only_a
    none = logged_in.get("/settings?run_id=run_of_someone_else").data.decode()
    assert "No credits were charged to this run." in none
