"""Every page renders in its states; pages need a login; another account's ids are 404; GETs change nothing."""

from __future__ import annotations

import pytest

from igny8.extensions import db
from igny8.models import Content, Image, User
from tests.factories import build_pipeline
from tests.test_web_support import database_snapshot, make_run, make_site

SITE_PAGES = ("/automation", "/planner/keywords", "/planner/clusters", "/planner/ideas", "/writer/tasks",
              "/writer/content", "/writer/images")


@pytest.fixture
def site_id(app, tenant):
    """A site of the tenant."""
    return make_site(app, tenant.account_id, "Main site")


@pytest.fixture
def pipeline(app, tenant, site_id):
    """One object of each kind on the site (content in review)."""
    with app.app_context():
        return build_pipeline(tenant.account_id, site_id)



def page_text(resp) -> str:
    """The body of a 200 response."""
    assert resp.status_code == 200, resp.data[:500]
    return resp.data.decode()


@pytest.mark.parametrize("path", [*SITE_PAGES, "/settings", "/sites/new", "/writer/content/1"])
def test_pages_need_a_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_page_signup_page_and_logout(client, auth, tenant):
    assert "<label" in page_text(client.get("/login"))
    assert 'for="confirm"' in page_text(client.get("/signup"))
    assert auth.login().status_code == 302
    assert client.get("/logout").status_code == 405  # logging out is a POST
    assert auth.logout().status_code == 302
    assert client.get("/automation").status_code == 302


def test_signup_lands_on_the_create_site_prompt(client):
    resp = client.post("/signup", data={"name": "Acme", "email": "new@example.com", "password": "long enough pw",
                                        "confirm": "long enough pw"}, follow_redirects=True)
    html = page_text(resp)
    assert "Create your first site" in html and "Welcome!" in html
    assert "1,000.00" in html  # the starting balance is in the header


def test_every_page_without_a_site_says_how_to_start(logged_in):
    for path in SITE_PAGES:
        html = page_text(logged_in.get(path))
        assert "Create your first site" in html and 'href="/sites/new"' in html, path


def test_empty_site_pages_point_to_the_next_step(logged_in, site_id):
    automation = page_text(logged_in.get(f"/automation?site_id={site_id}"))
    assert "This site has no keywords yet" in automation and "Import keywords" in automation
    assert "No runs yet" in automation and "Run now" in automation
    keywords = page_text(logged_in.get(f"/planner/keywords?site_id={site_id}"))
    assert "No keywords yet" in keywords and 'enctype="multipart/form-data"' in keywords
    for path, hint in (("/planner/clusters", "Import keywords"), ("/planner/ideas", "See the clusters"),
                       ("/writer/tasks", "See the ideas"), ("/writer/content", "Go to Automation"),
                       ("/writer/images", "Go to Automation")):
        assert hint in page_text(logged_in.get(f"{path}?site_id={site_id}")), path


def test_pages_with_data_list_the_objects(logged_in, site_id, pipeline):
    q = f"?site_id={site_id}"
    assert "sump pump" in page_text(logged_in.get("/planner/keywords" + q))
    clusters = page_text(logged_in.get("/planner/clusters" + q))
    assert "sump pumps" in clusters and "best sump pump" in clusters and "300" in clusters
    ideas = page_text(logged_in.get("/planner/ideas" + q))
    assert "Sump pumps explained" in ideas and "What is a sump pump" in ideas
    assert "Sump pumps explained" in page_text(logged_in.get("/writer/tasks" + q))
    content = page_text(logged_in.get("/writer/content" + q))
    assert f'href="/writer/content/{pipeline["content"]}"' in content
    images = page_text(logged_in.get("/writer/images" + q))
    assert "a sump pump" in images and "s-pending" in images


@pytest.mark.parametrize("status", ["draft", "review", "approved", "rejected"])
def test_article_page_renders_in_every_status(app, logged_in, tenant, site_id, status):
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id, status=status)
        if status == "rejected":
            db.session.get(Content, ids["content"]).reject_reason = "Too thin"
            db.session.commit()
    html = page_text(logged_in.get(f"/writer/content/{ids['content']}"))
    assert f"s-{status}" in html
    assert (f'action="/writer/content/{ids["content"]}/approve"' in html) == (status == "review")
    if status == "rejected":
        assert "Too thin" in html


@pytest.mark.parametrize("status,expected", [
    ("running", ["Pause", "Cancel run", "Stage <strong>2</strong> of 7"]),
    ("paused", ["Resume", "Cancel run", "Out of credits"]),
    ("cancelled", ["Cancelled at stage 2", "Run now"]),
    ("failed", ["The run failed at stage 2: RuntimeError: disk on fire", "Run now"]),
    ("completed", ["Completed.", "Run now"]),
])
def test_automation_page_shows_each_run_state_plainly(app, logged_in, site_id, status, expected):
    values = {"error_message": "RuntimeError: disk on fire"} if status == "failed" else {}
    if status == "paused":
        values["pause_reason"] = "Out of credits"
    make_run(app, site_id, status, stage=2, **values)
    html = page_text(logged_in.get(f"/automation?site_id={site_id}"))
    for text in expected:
        assert text in html, (status, text)
    assert f"s-{status}" in html
    # Controls appear only when the state allows them.
    assert (">Run now<" in html) == (status not in ("running", "paused"))
    assert (">Pause<" in html) == (status == "running")
    assert (">Resume<" in html) == (status == "paused")


def test_no_site_id_uses_the_last_selected_site(app, logged_in, tenant, site_id):
    other = make_site(app, tenant.account_id, "Second site")
    assert "Second site · 0 keywords" in page_text(logged_in.get(f"/planner/keywords?site_id={other}"))
    html = page_text(logged_in.get("/writer/tasks"))
    assert f'<option value="{other}" selected>' in html


def test_site_switcher_remembers_the_site_and_returns_to_the_section(app, logged_in, tenant, site_id):
    other = make_site(app, tenant.account_id, "Second site")
    resp = logged_in.post("/sites/select", data={"site_id": other, "next": "web.content_list"})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/writer/content?site_id={other}"
    with app.app_context():
        assert db.session.get(User, tenant.user_id).last_site_id == other
    # A later session (new login) still lands on it.
    logged_in.post("/logout")
    logged_in.post("/login", data={"email": tenant.email, "password": "correct horse battery"})
    assert f'<option value="{other}" selected>' in page_text(logged_in.get("/automation"))
    # An unknown target falls back to the automation page, never an open redirect.
    resp = logged_in.post("/sites/select", data={"site_id": site_id, "next": "https://evil.example"})
    assert resp.headers["Location"] == f"/automation?site_id={site_id}"


def test_create_a_site_from_the_ui(app, logged_in, tenant):
    form = page_text(logged_in.get("/sites/new"))
    assert 'for="name"' in form and 'for="domain"' in form and 'for="timezone"' in form
    bad = logged_in.post("/sites/new", data={"name": "", "domain": "not a domain!", "timezone": "Mars/Olympus"})
    assert bad.status_code == 422
    html = bad.data.decode()
    assert "This field is required." in html and "Enter a domain such as example.com" in html
    assert "Unknown time zone" in html
    ok = logged_in.post("/sites/new", data={"name": "Garden blog", "domain": "https://Garden.example/blog",
                                            "timezone": "Europe/Paris"}, follow_redirects=True)
    html = page_text(ok)
    assert "Site “Garden blog” created" in html and "No keywords yet" in html
    from igny8.services.accounts import list_sites

    with app.app_context():
        site = list_sites(tenant.account_id)[-1]
        assert (site.name, site.domain, site.timezone) == ("Garden blog", "garden.example", "Europe/Paris")


def test_another_accounts_site_and_objects_are_404(app, client, auth, make_tenant):
    victim = make_tenant("victim@example.com")
    victim_site = make_site(app, victim.account_id, "Victim site")
    with app.app_context():
        ids = build_pipeline(victim.account_id, victim_site)
    run_id = make_run(app, victim_site, "running")
    attacker = make_tenant("attacker@example.com")
    mine = make_site(app, attacker.account_id, "Mine")
    auth.login(attacker.email)
    gets = [f"{p}?site_id={victim_site}" for p in SITE_PAGES] + [
        f"/writer/content/{ids['content']}", f"/automation/runs/{run_id}",
        f"/automation/panel?site_id={victim_site}", f"/automation/pipeline?site_id={victim_site}",
        f"/automation/processing?site_id={victim_site}", f"/automation/log?site_id={victim_site}",
        f"/automation/history?site_id={victim_site}",
        f"/automation/processing?site_id={mine}&run_id={run_id}", f"/automation/log?site_id={mine}&run_id={run_id}",
        "/automation/panel", "/automation/panel?site_id=abc",
    ]
    for path in gets:
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert "belongs to another account" in resp.data.decode()
    posts = [
        f"/automation/run_now?site_id={victim_site}", f"/automation/pause?site_id={victim_site}&run_id={run_id}",
        f"/automation/pause?site_id={mine}&run_id={run_id}", f"/automation/cancel?site_id={mine}&run_id={run_id}",
        f"/automation/config?site_id={victim_site}", f"/planner/keywords/import?site_id={victim_site}",
        f"/planner/keywords/add?site_id={victim_site}", f"/planner/keywords/bulk?site_id={victim_site}",
        f"/writer/content/{ids['content']}/approve", f"/writer/content/{ids['content']}/reject",
    ]
    for path in posts:
        assert client.post(path, data={"reason": "x", "keywords": "x", "ids": "1", "action": "delete"}).status_code \
            == 404, path
    assert client.post("/sites/select", data={"site_id": victim_site}).status_code == 404
    with app.app_context():
        content = db.session.get(Content, ids["content"])
        assert content.status == "review"


def test_media_of_another_account_is_404(app, logged_in, make_tenant):
    other = make_tenant("media@example.com")
    assert logged_in.get(f"/media/{other.account_id}/1/image-1.png").status_code == 404


def test_unknown_page_and_server_error_are_friendly(app, logged_in, site_id, monkeypatch):
    resp = logged_in.get("/no/such/page")
    html = resp.data.decode()
    assert resp.status_code == 404 and "Not found" in html and "Back to the dashboard" in html
    from igny8.automation import service

    def broken(site_id):
        """A service failing unexpectedly."""
        raise RuntimeError("database on fire")

    monkeypatch.setattr(service, "pipeline_overview", broken)
    resp = logged_in.get(f"/automation?site_id={site_id}")
    assert resp.status_code == 500
    html = resp.data.decode()
    assert "Something went wrong" in html and "database on fire" not in html


def test_a_get_never_changes_state(app, logged_in, tenant, site_id):
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
        image = db.session.get(Image, ids["image"])
        image.status = "generated"
        db.session.commit()
    run_id = make_run(app, site_id, "running", stage=3, processing={"stage": 3, "done": 1, "total": 4})
    other = make_site(app, tenant.account_id, "Other")
    before = database_snapshot(app)
    assert len(before) >= 14
    q = f"?site_id={site_id}"
    paths = [p + q for p in SITE_PAGES] + [
        f"/automation?site_id={other}", "/settings", f"/settings?run_id={run_id}", "/sites/new",
        f"/writer/content/{ids['content']}", f"/automation/runs/{run_id}", "/automation/panel" + q,
        f"/automation/panel{q}&seen=none", "/automation/pipeline" + q, "/automation/processing" + q,
        "/automation/log" + q, "/automation/history" + q, f"/planner/keywords{q}&q=sump&sort=-volume&page=2",
        f"/planner/ideas{q}&cluster_id={ids['cluster']}", f"/writer/content{q}&status=review", "/automation",
    ]
    for path in paths:
        assert logged_in.get(path).status_code == 200, path
    # Action URLs answer GET with 405, never by acting.
    for path in (f"/automation/run_now{q}", f"/automation/pause{q}&run_id={run_id}",
                 f"/automation/cancel{q}&run_id={run_id}", f"/writer/content/{ids['content']}/approve",
                 f"/planner/keywords/bulk{q}", "/settings/tokens", "/logout", "/sites/select"):
        assert logged_in.get(path).status_code == 405, path
    assert database_snapshot(app) == before
