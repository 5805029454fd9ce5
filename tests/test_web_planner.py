"""Planner pages: keyword list filters, CSV import, paste, bulk actions; clusters and ideas."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Keyword, Site
from igny8.services.keywords import KeywordRow, add_keywords
from igny8.services.planner_actions import BulkActionError, bulk_keywords
from tests.factories import build_pipeline
from tests.test_web_support import make_run, make_site

CSV = (b"Keyword,Volume,Keyword Difficulty,Intent\n"
       b"garden hose,1200,30,Commercial\n"
       b"best garden hose,800,25,Commercial\n"
       b"garden hose reel,300,x,Informational\n"
       b"Garden  Hose,50,10,\n"
       b",100,10,\n")


@pytest.fixture
def site_id(app, tenant):
    """A site of the tenant."""
    return make_site(app, tenant.account_id, "Main site")



def seed(app, site_id: int, n: int = 60) -> None:
    """``n`` keywords ``keyword 000``… with volumes 0, 10, 20… and alternating intents."""
    rows = [KeywordRow(f"keyword {i:03d}", volume=i * 10, intent="commercial" if i % 2 else "informational")
            for i in range(n)]
    with app.app_context():
        add_keywords(db.session.get(Site, site_id), rows)


def keyword_rows(html: str) -> list[str]:
    """The keyword texts of the keyword table, in page order."""
    if '<table class="data">' not in html:
        return []
    body = html.split('<table class="data">')[1].split("</tbody>")[0]
    return [cell.split("<")[0].strip() for cell in body.split('<td class="kw">')[1:]]


def test_csv_upload_shows_the_import_summary(app, logged_in, site_id):
    resp = logged_in.post(f"/planner/keywords/import?site_id={site_id}",
                          data={"file": (io.BytesIO(CSV), "export.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.data.decode()
    assert '<strong class="created">2</strong>' in html
    assert '<strong class="duplicates">1</strong>' in html
    assert '<strong class="row-errors">2</strong>' in html
    assert "difficulty: &#39;x&#39; is not a number" in html and "keyword is empty" in html
    assert "export.csv" in html and "Go to Automation to cluster them" in html
    assert keyword_rows(html) == ["garden hose", "best garden hose"]  # highest volume first
    # Uploading again: everything is a duplicate.
    again = logged_in.post(f"/planner/keywords/import?site_id={site_id}",
                           data={"file": (io.BytesIO(CSV), "export.csv")}, content_type="multipart/form-data")
    assert '<strong class="created">0</strong>' in again.data.decode()
    assert '<strong class="duplicates">3</strong>' in again.data.decode()


def test_bad_uploads_are_explained_inline(logged_in, site_id):
    missing = logged_in.post(f"/planner/keywords/import?site_id={site_id}", data={},
                             content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose a CSV file to upload" in missing.data.decode()
    png = logged_in.post(f"/planner/keywords/import?site_id={site_id}",
                         data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "k.csv")},
                         content_type="multipart/form-data")
    assert png.status_code == 422
    html = png.data.decode()
    assert 'id="file-error"' in html and "PNG image" in html


def test_paste_keywords_one_per_line(app, logged_in, site_id):
    text = "sump pump\nbest sump pump\t1,200\n\nSump  Pump\nsump pump repair\tlots\n" + "x" * 300
    resp = logged_in.post(f"/planner/keywords/add?site_id={site_id}", data={"keywords": text})
    html = resp.data.decode()
    assert resp.status_code == 200
    assert '<strong class="created">2</strong>' in html and '<strong class="duplicates">1</strong>' in html
    assert "volume: &#39;lots&#39; is not a number" in html and "longer than 200 characters" in html
    with app.app_context():
        volumes = dict(db.session.execute(select(Keyword.keyword, Keyword.volume)).all())
    assert volumes == {"sump pump": None, "best sump pump": 1200}
    empty = logged_in.post(f"/planner/keywords/add?site_id={site_id}", data={"keywords": "  "})
    assert empty.status_code == 422 and "Paste at least one keyword" in empty.data.decode()


def test_search_filters_sort_and_pagination(app, logged_in, site_id):
    seed(app, site_id)
    base = f"/planner/keywords?site_id={site_id}"
    html = logged_in.get(f"{base}&sort=-volume&page_size=25").data.decode()
    rows = keyword_rows(html)
    assert len(rows) == 25 and rows[0] == "keyword 059" and "Showing 1–25 of 60" in html
    page3 = logged_in.get(f"{base}&sort=-volume&page_size=25&page=3").data.decode()
    assert keyword_rows(page3)[-1] == "keyword 000" and "Showing 51–60 of 60" in page3
    assert keyword_rows(logged_in.get(f"{base}&sort=volume").data.decode())[0] == "keyword 000"
    searched = keyword_rows(logged_in.get(f"{base}&q=05&sort=keyword").data.decode())
    assert searched == ["keyword 005", *[f"keyword 05{i}" for i in range(10)]]
    commercial = keyword_rows(logged_in.get(f"{base}&intent=commercial&page_size=100").data.decode())
    assert len(commercial) == 30
    assert "No keywords match these filters" in logged_in.get(f"{base}&status=mapped").data.decode()
    # Nonsense parameters fall back to defaults instead of failing.
    assert logged_in.get(f"{base}&sort=drop&page=-4&page_size=9999&intent=<x>").status_code == 200
    # Labels on the filter form.
    for name in ("f-q", "f-status", "f-intent", "f-sort"):
        assert f'<label for="{name}"' in html


def test_bulk_disable_enable_and_delete(app, logged_in, tenant, site_id):
    seed(app, site_id, 5)
    with app.app_context():
        ids = list(db.session.scalars(select(Keyword.id).where(Keyword.site_id == site_id).order_by(Keyword.id)))
        pipeline = build_pipeline(tenant.account_id, site_id)
        mapped = list(db.session.scalars(select(Keyword.id).where(Keyword.cluster_id == pipeline["cluster"])))
    back = f"/planner/keywords?site_id={site_id}&q=keyword"
    resp = logged_in.post(f"/planner/keywords/bulk?site_id={site_id}",
                          data={"ids": ids[:3], "action": "disable", "back": back})
    assert resp.status_code == 303 and resp.headers["Location"] == back
    assert "3 keywords disabled." in logged_in.get(back).data.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Keyword.disabled.is_(True))) == 3
    logged_in.post(f"/planner/keywords/bulk?site_id={site_id}", data={"ids": ids[:1], "action": "enable"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Keyword.disabled.is_(True))) == 2
    resp = logged_in.post(f"/planner/keywords/bulk?site_id={site_id}",
                          data={"ids": [ids[0], ids[1], *mapped], "action": "delete"}, follow_redirects=True)
    html = resp.data.decode()
    assert "2 keywords deleted. 2 kept: they are mapped to clusters" in html
    with app.app_context():
        remaining = set(db.session.scalars(select(Keyword.id).where(Keyword.site_id == site_id)))
    assert remaining == {*ids[2:], *mapped}
    nothing = logged_in.post(f"/planner/keywords/bulk?site_id={site_id}", data={"action": "delete"},
                             follow_redirects=True)
    assert "Select at least one keyword first" in nothing.data.decode()
    # An open redirect through "back" is not possible.
    resp = logged_in.post(f"/planner/keywords/bulk?site_id={site_id}",
                          data={"ids": ids[2:3], "action": "enable", "back": "//evil.example/planner/keywords?"})
    assert resp.headers["Location"] == f"/planner/keywords?site_id={site_id}"


def test_bulk_actions_are_scoped_and_delete_waits_for_stage_one(app, tenant, make_tenant, site_id):
    seed(app, site_id, 6)
    other = make_tenant("other@example.com")
    other_site = make_site(app, other.account_id)
    seed(app, other_site, 3)
    with app.app_context():
        theirs = list(db.session.scalars(select(Keyword.id).where(Keyword.site_id == other_site)))
        mine = list(db.session.scalars(select(Keyword.id).where(Keyword.site_id == site_id)))
        result = bulk_keywords(tenant.account_id, site_id, theirs, "delete")
        assert result.changed == 0 and result.kept == 0
        assert db.session.scalar(select(func.count()).where(Keyword.site_id == other_site)) == 3
        with pytest.raises(BulkActionError, match="Unknown action"):
            bulk_keywords(tenant.account_id, site_id, mine, "truncate")
    make_run(app, site_id, "paused", stage=1)
    with app.app_context(), pytest.raises(BulkActionError, match="stage 1"):
        bulk_keywords(tenant.account_id, site_id, mine, "delete")
    with app.app_context():
        assert bulk_keywords(tenant.account_id, site_id, mine, "disable").changed == 6


def test_clusters_page_lists_keywords_and_volumes(app, logged_in, tenant, site_id):
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
    html = logged_in.get(f"/planner/clusters?site_id={site_id}").data.decode()
    assert f'id="cluster-{ids["cluster"]}"' in html
    assert "2 keywords · 300 monthly searches · 1 ideas" in html
    assert "<td>sump pump</td><td class=\"num\">200</td>" in html
    assert html.index("<td>sump pump</td>") < html.index("<td>best sump pump</td>")  # highest volume first
    assert "made by offline / lexical-v1" in html
    assert "No clusters with status “new” yet" in logged_in.get(f"/planner/clusters?site_id={site_id}&status=new")\
        .data.decode()
    kws = logged_in.get(f"/planner/keywords?site_id={site_id}&cluster_id={ids['cluster']}").data.decode()
    assert "Showing the keywords of cluster <strong>sump pumps</strong>" in kws


def test_ideas_page_shows_outlines(app, logged_in, tenant, site_id):
    from igny8.models import ContentIdea

    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
        idea = db.session.get(ContentIdea, ids["idea"])
        idea.outline = [{"heading": "What is a sump pump", "keywords": ["sump pump", "basement"], "word_budget": 300},
                        {"heading": "Choosing one", "keywords": [], "word_budget": 450},
                        {"heading": "Broken section", "keywords": None, "word_budget": None}]
        db.session.commit()
    html = logged_in.get(f"/planner/ideas?site_id={site_id}").data.decode()
    assert "Outline · 3 sections · 750 words budgeted" in html
    assert '<span class="chip">basement</span>' in html and "Choosing one" in html
    assert "primary keyword <strong>sump pump</strong>" in html
    filtered = logged_in.get(f"/planner/ideas?site_id={site_id}&cluster_id={ids['cluster'] + 1}").data.decode()
    assert "No ideas" in filtered
