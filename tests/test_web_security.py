"""CSRF on every form and htmx request; user and AI text rendered inert."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from igny8 import create_app
from igny8.automation import runlog
from igny8.extensions import db
from igny8.models import AutomationRun, Cluster, Content, ContentIdea, Image, Keyword, Task
from tests.conftest import PASSWORD
from tests.factories import build_pipeline
from tests.test_web_support import XSS_IMG, XSS_SCRIPT, csrf_token_of, make_run, make_site, run_pk

HOSTILE = f"pump {XSS_SCRIPT} {XSS_IMG}"


@pytest.fixture
def csrf_app(app_config):
    """The app with CSRF checks on, as in production."""
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})


def logged_in_with_csrf(csrf_app, make_tenant):
    """A client of the CSRF-checking app, logged in through the real form with its token."""
    client = csrf_app.test_client()
    tenant = make_tenant("csrf@example.com")
    login_page = client.get("/login").data.decode()
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"email": tenant.email, "password": PASSWORD, "csrf_token": token}).status_code \
        == 302
    return client, tenant


def test_every_form_post_without_a_token_is_refused(csrf_app, make_tenant):
    client, tenant = logged_in_with_csrf(csrf_app, make_tenant)
    site_id = make_site(csrf_app, tenant.account_id)
    with csrf_app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
    run_id = make_run(csrf_app, site_id, "running")
    posts = [
        (f"/automation/run_now?site_id={site_id}", {}), (f"/automation/pause?site_id={site_id}&run_id={run_id}", {}),
        (f"/automation/cancel?site_id={site_id}&run_id={run_id}", {}),
        (f"/automation/config?site_id={site_id}", {"frequency": "daily"}),
        (f"/planner/keywords/add?site_id={site_id}", {"keywords": "a\nb"}),
        (f"/planner/keywords/bulk?site_id={site_id}", {"ids": "1", "action": "delete"}),
        (f"/writer/content/{ids['content']}/approve", {}),
        (f"/writer/content/{ids['content']}/reject", {"reason": "x"}),
        ("/settings/tokens", {"name": "x"}), ("/settings/integration", {"provider": "offline"}),
        ("/settings/integration/test", {}), ("/sites/new", {"name": "x"}), ("/sites/select", {"site_id": site_id}),
        ("/logout", {}),
    ]
    for path, data in posts:
        resp = client.post(path, data=data)
        assert resp.status_code == 400, path
        assert "Reload the page and try again" in resp.data.decode(), path
        htmx = client.post(path, data=data, headers={"HX-Request": "true"})
        assert htmx.status_code == 400, path
    with csrf_app.app_context():
        assert db.session.get(Content, ids["content"]).status == "review"
        assert db.session.scalar(select(AutomationRun.status).where(AutomationRun.run_id == run_id)) == "running"
    # The same requests pass with the page's token: as a form field or as htmx's X-CSRFToken header.
    token = csrf_token_of(client.get(f"/automation?site_id={site_id}").data.decode())
    assert client.post(f"/automation/pause?site_id={site_id}&run_id={run_id}",
                       headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 200
    assert client.post(f"/writer/content/{ids['content']}/approve", data={"csrf_token": token}).status_code == 303


def test_pages_send_the_token_to_htmx_and_in_every_form(csrf_app, make_tenant):
    client, tenant = logged_in_with_csrf(csrf_app, make_tenant)
    site_id = make_site(csrf_app, tenant.account_id)
    with csrf_app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
    make_run(csrf_app, site_id, "running")
    for path in (f"/automation?site_id={site_id}", f"/planner/keywords?site_id={site_id}",
                 f"/writer/content/{ids['content']}", "/settings", "/sites/new"):
        html = client.get(path).data.decode()
        token = csrf_token_of(html)
        assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in html, path
        post_forms = html.count('method="post"')
        assert post_forms and html.count('name="csrf_token"') >= post_forms, path


def hostile_pipeline(app, tenant, site_id) -> dict:
    """A pipeline whose every user- or AI-written text carries script and event-handler payloads."""
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
        db.session.get(Cluster, ids["cluster"]).name = HOSTILE
        db.session.get(Cluster, ids["cluster"]).description = HOSTILE
        for kw in db.session.scalars(select(Keyword).where(Keyword.site_id == site_id)):
            kw.keyword = f"{kw.keyword} {XSS_SCRIPT}"
            kw.error = XSS_IMG
        idea = db.session.get(ContentIdea, ids["idea"])
        idea.title = HOSTILE
        idea.outline = [{"heading": HOSTILE, "keywords": [XSS_IMG], "word_budget": 100}]
        task = db.session.get(Task, ids["task"])
        task.title, task.keywords = HOSTILE, [XSS_SCRIPT]
        content = db.session.get(Content, ids["content"])
        content.title = content.meta_title = content.meta_description = HOSTILE
        content.secondary_keywords = [XSS_IMG]
        content.html = (f"<h2>Intro {XSS_SCRIPT}</h2><p onclick=\"alert(1)\">Text {XSS_IMG}</p>"
                        "<a href=\"javascript:alert(1)\">link</a><iframe src=\"//evil\"></iframe>"
                        "<style>body{display:none}</style><svg onload=alert(1)></svg>")
        image = db.session.get(Image, ids["image"])
        image.prompt = image.alt_text = HOSTILE
        image.error = XSS_SCRIPT
        db.session.commit()
        return ids


class ActiveMarkup(HTMLParser):
    """Collects what a browser would execute: scripts, on* handlers, javascript: URLs, frames."""

    def __init__(self):
        """Start with nothing found."""
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        """Record active elements and attributes."""
        # Our own pages load scripts only by src, so any inline script is an injection.
        if tag in ("iframe", "svg", "object", "embed", "style") or (
                tag == "script" and not any(name == "src" for name, _ in attrs)):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag}[{name}=javascript:]")


def assert_inert(html: str, where: str) -> None:
    """No hostile markup survived as markup (as escaped text it is harmless and stays visible)."""
    parser = ActiveMarkup()
    parser.feed(html)
    assert parser.found == [], (where, parser.found)
    assert "<script>alert(1)" not in html and "<img src=x" not in html, where


def test_hostile_text_renders_inert_everywhere(app, client, auth, tenant):
    site_id = make_site(app, tenant.account_id, f"Site {XSS_SCRIPT}")
    ids = hostile_pipeline(app, tenant, site_id)
    run_id = make_run(app, site_id, "failed", error_message=HOSTILE, pause_reason=XSS_IMG,
                      processing={"stage": 2, "in_flight": [XSS_SCRIPT]})
    with app.app_context():
        runlog.write(run_pk(app, run_id), f"Keyword {XSS_SCRIPT} {XSS_IMG} left out", 1, "warning")
    auth.login()
    q = f"?site_id={site_id}"
    pages = [
        f"/automation{q}", f"/automation/log{q}&run_id={run_id}", f"/automation/panel{q}&seen=x",
        f"/automation/runs/{run_id}", f"/planner/keywords{q}", f"/planner/clusters{q}", f"/planner/ideas{q}",
        f"/writer/tasks{q}", f"/writer/content{q}", f"/writer/content/{ids['content']}", f"/writer/images{q}",
        "/settings",
    ]
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.data.decode()
        assert_inert(html, path)
    article = client.get(f"/writer/content/{ids['content']}").data.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article  # titles are escaped, not dropped
    body = article.split('<div class="article-body">')[1].split("</article>")[0]
    assert "<h2>Intro </h2>" in body and "<p>Text </p>" in body and "<style>" not in body
    assert "Keyword &lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/automation/log{q}&run_id={run_id}")\
        .data.decode()


def test_uploaded_and_pasted_keywords_are_escaped(app, client, auth, tenant):
    site_id = make_site(app, tenant.account_id)
    auth.login()
    csv = f"Keyword,Volume\n\"{XSS_SCRIPT}\",10\n\"{XSS_IMG}\",x\n".encode()
    html = client.post(f"/planner/keywords/import?site_id={site_id}", data={"file": (io.BytesIO(csv), "x.csv")},
                       content_type="multipart/form-data").data.decode()
    assert_inert(html, "import")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = client.post(f"/planner/keywords/add?site_id={site_id}", data={"keywords": XSS_IMG}).data.decode()
    assert_inert(html, "paste")
