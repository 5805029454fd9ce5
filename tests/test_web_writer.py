"""Writer pages: tasks, content by status, the article view with review actions, the image gallery."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from igny8.extensions import db
from igny8.models import Content, Image
from tests.factories import build_pipeline
from tests.test_web_support import make_site

ARTICLE = ("<p>Intro paragraph.</p><h2>First heading</h2><p>One.</p><h2>Second heading</h2><p>Two.</p>"
           "<h2>Third heading</h2><p>Three.</p>")


@pytest.fixture
def site_id(app, tenant):
    """A site of the tenant."""
    return make_site(app, tenant.account_id, "Main site")



def article(app, tenant, site_id, **changes) -> dict:
    """A pipeline whose content has three H2s, a generated featured image and two in-article slots."""
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
        content = db.session.get(Content, ids["content"])
        content.html = ARTICLE
        for name, value in changes.items():
            setattr(content, name, value)
        featured = db.session.get(Image, ids["image"])
        relative = f"{tenant.account_id}/{site_id}/image-{featured.id}.png"
        path = os.path.join(app.config["MEDIA_FOLDER"], relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\nfake")
        featured.status, featured.file_path, featured.alt_text = "generated", relative, "A pump in a basement"
        featured.width = featured.height = 256
        for position in (1, 2):
            db.session.add(Image(account_id=tenant.account_id, site_id=site_id, content_id=content.id,
                                 kind="in_article", position=position, prompt=f"in-article prompt {position}",
                                 alt_text=f"figure {position}", status="pending"))
        db.session.commit()
        return ids


def extra_content(app, tenant, site_id, status: str = "review", title: str = "Another article") -> int:
    """One more article on the same site (build_pipeline can run once per site: keywords are unique)."""
    with app.app_context():
        content = Content(account_id=tenant.account_id, site_id=site_id, title=title, html="<h2>A</h2><p>b</p>",
                          word_count=2, status=status, primary_keyword="pump")
        db.session.add(content)
        db.session.commit()
        return content.id


def test_article_shows_images_in_place_meta_and_keywords(app, logged_in, tenant, site_id):
    ids = article(app, tenant, site_id, secondary_keywords=["basement pump", "pit"])
    html = logged_in.get(f"/writer/content/{ids['content']}").data.decode()
    body = html.split('<div class="article-body">')[1].split("</article>")[0]
    # Featured image at the top (before the body), in-article images after the H2 of their position.
    top = html.split('<div class="featured">')[1].split('<div class="article-body">')[0]
    assert f'src="/media/{tenant.account_id}/{site_id}/image-{ids["image"]}.png"' in top
    assert 'alt="A pump in a basement"' in top and 'width="256" height="256"' in top
    first, second, third = (body.index(f"<h2>{n} heading</h2>") for n in ("First", "Second", "Third"))
    fig1, fig2 = body.index("figure 1</figcaption>"), body.index("figure 2</figcaption>")
    assert first < fig1 < second < fig2 < third
    assert "Image pending: not generated yet" in body
    assert "Primary: <strong>sump pump</strong>" in html and '<span class="chip">pit</span>' in html
    assert ">10 / 60</span>" in html and ">9 / 160</span>" in html
    assert "len over" not in html and "⚠" not in html.split("Search snippet")[1]
    # The media file itself is served to its account.
    assert logged_in.get(f"/media/{tenant.account_id}/{site_id}/image-{ids['image']}.png").status_code == 200


def test_meta_over_60_and_160_characters_is_flagged(app, logged_in, tenant, site_id):
    ids = article(app, tenant, site_id, meta_title="T" * 61, meta_description="D" * 161)
    html = logged_in.get(f"/writer/content/{ids['content']}").data.decode()
    assert 'class="len over"' in html and "61 / 60" in html and "161 / 160" in html
    assert "Longer than 60 characters" in html and "Longer than 160 characters" in html


def test_approve_and_reject_in_review_with_queue_navigation(app, logged_in, tenant, site_id):
    with app.app_context():
        first = build_pipeline(tenant.account_id, site_id)["content"]
    second = extra_content(app, tenant, site_id)
    third = extra_content(app, tenant, site_id)
    html = logged_in.get(f"/writer/content/{second}").data.decode()
    assert f'href="/writer/content/{first}" rel="prev"' in html and f'href="/writer/content/{third}" rel="next"' in html
    assert "Review queue: 3 articles" in html
    resp = logged_in.post(f"/writer/content/{second}/approve")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/writer/content/{second}"
    html = logged_in.get(resp.headers["Location"]).data.decode()
    assert "Article approved." in html and "s-approved" in html and "Review queue: 2 articles" in html
    again = logged_in.post(f"/writer/content/{second}/approve", follow_redirects=True).data.decode()
    assert "only content in review can be approved or rejected" in again

    empty = logged_in.post(f"/writer/content/{third}/reject", data={"reason": "  "})
    assert empty.status_code == 422
    assert 'id="reason-error"' in empty.data.decode() and "Say why, so the writer can fix it" in empty.data.decode()
    resp = logged_in.post(f"/writer/content/{third}/reject", data={"reason": "Needs sources"}, follow_redirects=True)
    assert "Rejected: Needs sources" in resp.data.decode()
    with app.app_context():
        statuses = dict(db.session.execute(select(Content.id, Content.status)).all())
        rejected = db.session.get(Content, third)
        assert rejected.reject_reason == "Needs sources" and rejected.reviewed_by_id == tenant.user_id
    assert statuses == {first: "review", second: "approved", third: "rejected"}


def test_content_list_by_status_and_tasks(app, logged_in, tenant, site_id):
    with app.app_context():
        draft = build_pipeline(tenant.account_id, site_id, status="draft")
    extra_content(app, tenant, site_id, "review", "In review")
    html = logged_in.get(f"/writer/content?site_id={site_id}").data.decode()
    assert "1 waiting for review" in html and html.count("/writer/content/") >= 2
    assert '>Review <span class="count">1</span>' in html and '>Draft <span class="count">1</span>' in html
    review = logged_in.get(f"/writer/content?site_id={site_id}&status=review").data.decode()
    assert f'href="/writer/content/{draft["content"]}"' not in review
    approved = logged_in.get(f"/writer/content?site_id={site_id}&status=approved").data.decode()
    assert "No articles with status “approved”" in approved
    tasks = logged_in.get(f"/writer/tasks?site_id={site_id}").data.decode()
    assert f'href="/writer/content/{draft["content"]}">Open</a>' in tasks and '<span class="chip">sump pump</span>' \
        in tasks


def test_image_gallery_shows_status_and_prompt(app, logged_in, tenant, site_id):
    ids = article(app, tenant, site_id)
    html = logged_in.get(f"/writer/images?site_id={site_id}").data.decode()
    assert html.count('class="card tile"') == 3
    assert "in-article prompt 2" in html and "a sump pump" in html and "s-generated" in html and "s-pending" in html
    one = logged_in.get(f"/writer/images?site_id={site_id}&status=generated").data.decode()
    assert one.count('class="card tile"') == 1
    per_article = logged_in.get(f"/writer/images?site_id={site_id}&content_id={ids['content']}").data.decode()
    assert per_article.count('class="card tile"') == 3 and "Images of one article" in per_article
