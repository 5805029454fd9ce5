"""Sessions, tokens and the 401 contract."""

from tests.conftest import PASSWORD


def test_api_without_auth_is_401_json(client):
    resp = client.get("/api/v1/sites/")
    assert resp.status_code == 401
    assert resp.get_json() == {"error": "Authentication required", "code": "unauthorized"}


def test_token_endpoint_issues_working_token(client, tenant):
    resp = client.post("/api/v1/auth/token", json={"email": tenant.email, "password": PASSWORD})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    listed = client.get("/api/v1/sites/", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


def test_token_endpoint_wrong_password_is_401(client, tenant):
    resp = client.post("/api/v1/auth/token", json={"email": tenant.email, "password": "nope"})
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "unauthorized"


def test_token_endpoint_unknown_email_is_401(client):
    resp = client.post("/api/v1/auth/token", json={"email": "ghost@example.com", "password": "x"})
    assert resp.status_code == 401


def test_token_endpoint_missing_fields_is_400_with_fields(client):
    resp = client.post("/api/v1/auth/token", json={"email": "a@example.com"})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"password": "Field required"}


def test_garbage_bearer_token_is_401(client, tenant):
    resp = client.get("/api/v1/sites/", headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 401


def test_revoked_token_is_401(client, api, tenant):
    tokens = api.get("/api/v1/auth/tokens").get_json()["results"]
    assert len(tokens) == 1 and "token_hash" not in tokens[0]
    assert api.delete(f"/api/v1/auth/tokens/{tokens[0]['id']}").status_code == 204
    assert client.get("/api/v1/sites/", headers=tenant.headers).status_code == 401


def test_token_is_stored_only_as_hash(app, tenant):
    from igny8.models import ApiToken

    with app.app_context():
        row = ApiToken.query.one()
        assert tenant.token not in (row.token_hash, row.prefix)
        assert len(row.token_hash) == 64


def test_session_login_gives_api_access_and_logout_removes_it(client, auth, tenant):
    assert client.get("/api/v1/sites/").status_code == 401
    resp = auth.login()
    assert resp.status_code == 302
    assert client.get("/api/v1/sites/").status_code == 200
    auth.logout()
    assert client.get("/api/v1/sites/").status_code == 401


def test_login_with_wrong_password_shows_error(client, auth, tenant):
    resp = auth.login(password="wrong")
    assert resp.status_code == 400
    assert b"Wrong email or password" in resp.data


def test_login_page_has_labelled_fields(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert b'<label for="email">Email</label>' in resp.data
    assert b'<label for="password">Password</label>' in resp.data


def test_login_ignores_offsite_next(client, auth, tenant):
    resp = client.post("/login?next=https://evil.example/", data={"email": tenant.email, "password": PASSWORD})
    assert resp.headers["Location"] == "/"


def test_signup_creates_account_with_configured_credits(app, client):
    resp = client.post("/signup", data={
        "name": "Acme", "email": "new@example.com", "password": "longenough", "confirm": "longenough",
    })
    assert resp.status_code == 302
    from igny8.models import Account

    with app.app_context():
        assert Account.query.one().credit_balance == app.config["SIGNUP_CREDITS"]


def test_pages_redirect_to_login_when_signed_out(client):
    resp = client.get("/automation")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_session_api_post_requires_csrf_token(app_config, make_tenant):
    from igny8 import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    tenant = make_tenant("csrf@example.com")  # same database, so this app sees the user
    login_page = client.get("/login").data.decode()
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": tenant.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/api/v1/sites/", json={"name": "x"}).status_code == 400
    # Login starts a new session, so the page served after it carries the live token.
    token = client.get("/automation").data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    ok = client.post("/api/v1/sites/", json={"name": "x"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201
