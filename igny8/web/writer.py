"""Writer pages: tasks, the content list, the article view with the review actions, images."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Content, Image, Site, Task
from igny8.models.base import CONTENT_STATUSES, IMAGE_STATUSES, TASK_STATUSES
from igny8.services import review
from igny8.services.html import sanitize_article
from igny8.services.listing import status_query
from igny8.web import bp
from igny8.web.forms import RejectForm
from igny8.web.helpers import int_arg, paged, scoped_or_404, selected_site
from igny8.web.planner import status_counts

META_TITLE_MAX = 60
META_DESCRIPTION_MAX = 160
_H2_END = re.compile(r"(</h2\s*>)", re.I)


def image_url(image: Image) -> str | None:
    """Where a generated image is served (``/media/<account>/<site>/<file>``)."""
    if not image.file_path:
        return None
    account, _, rest = image.file_path.partition("/")
    return url_for("web.media", account_id=int(account), filename=rest) if account.isdigit() else None


def figure(image: Image) -> Markup:
    """An image in the article (or a placeholder saying why it is not there yet); all text escaped."""
    url = image_url(image) if image.status == "generated" else None
    caption = image.alt_text or image.prompt
    if url:
        size = Markup(' width="{}" height="{}"').format(image.width, image.height) if image.width and image.height \
            else ""
        html = Markup('<figure class="article-image {}"><img src="{}" alt="{}" loading="lazy"{}>'
                      '<figcaption>{}</figcaption></figure>')
        return html.format(image.kind, url, image.alt_text or "", size, caption)
    reason = image.error or "not generated yet"
    return Markup('<figure class="article-image placeholder {}"><div class="ph">Image {}: {}</div>'
                  '<figcaption>{}</figcaption></figure>').format(image.kind, image.status, reason, caption)


def article_body(content: Content, images: list[Image]) -> Markup:
    """The stored HTML sanitised again at render time, in-article images after the H2 of their position.

    The stored HTML was sanitised when saved, but it is AI output kept in a database: it is
    cleaned again here, and only the cleaned string is marked safe.
    """
    clean = sanitize_article(content.html or "")
    slots: dict[int, list[Image]] = {}
    for image in sorted((i for i in images if i.kind != "featured"), key=lambda i: (i.position, i.id)):
        slots.setdefault(image.position, []).append(image)
    out, seen_h2 = [], 0
    for part in _H2_END.split(clean):
        out.append(Markup(part))  # pieces of the sanitised string: still sanitised
        if _H2_END.fullmatch(part):
            seen_h2 += 1
            out.extend(figure(i) for i in slots.pop(seen_h2, []))
    for position in sorted(slots):  # more images than headings: keep them visible at the end
        out.extend(figure(i) for i in slots[position])
    return Markup("").join(out)


def review_neighbours(content: Content) -> tuple[int | None, int | None, int]:
    """Previous and next article in the site's review queue (by id) and the queue's length."""
    base = (Content.site_id == content.site_id, Content.account_id == content.account_id, Content.status == "review")
    prev_id = db.session.scalar(select(func.max(Content.id)).where(*base, Content.id < content.id))
    next_id = db.session.scalar(select(func.min(Content.id)).where(*base, Content.id > content.id))
    total = db.session.scalar(select(func.count()).where(*base)) or 0
    return prev_id, next_id, total


@bp.get("/writer/tasks")
@login_required
def tasks():
    """A site's writing tasks by status."""
    site = selected_site()
    if site is None:
        return render_template("writer/tasks.html", site=None)
    status = request.args.get("status") if request.args.get("status") in TASK_STATUSES else None
    pager = paged(status_query(Task, site.id, status))
    task_ids = [t.id for t in pager.page.items]
    contents = dict(db.session.execute(
        select(Content.task_id, Content.id).where(Content.task_id.in_(task_ids))).all()) if task_ids else {}
    return render_template("writer/tasks.html", site=site, pager=pager, status=status, statuses=TASK_STATUSES,
                           counts=status_counts(Task, site.id), contents=contents)


@bp.get("/writer/content")
@login_required
def content_list():
    """A site's articles by status (the review queue is ``status=review``)."""
    site = selected_site()
    if site is None:
        return render_template("writer/content_list.html", site=None)
    status = request.args.get("status") if request.args.get("status") in CONTENT_STATUSES else None
    pager = paged(status_query(Content, site.id, status))
    ids = [c.id for c in pager.page.items]
    image_counts = dict(db.session.execute(
        select(Image.content_id, func.count()).where(Image.content_id.in_(ids)).group_by(Image.content_id)).all()) \
        if ids else {}
    return render_template("writer/content_list.html", site=site, pager=pager, status=status,
                           statuses=CONTENT_STATUSES, counts=status_counts(Content, site.id),
                           image_counts=image_counts)


def render_article(content: Content, reject_form: RejectForm | None = None, status: int = 200):
    """The article page."""
    site = db.session.get(Site, content.site_id)
    images = list(db.session.scalars(select(Image).where(Image.content_id == content.id)
                                     .order_by(Image.kind, Image.position, Image.id)))
    featured = next((i for i in images if i.kind == "featured"), None)
    prev_id, next_id, queue = review_neighbours(content)
    return render_template(
        "writer/article.html", site=site, content=content, images=images, featured=featured,
        featured_html=figure(featured) if featured else None, body=article_body(content, images),
        prev_id=prev_id, next_id=next_id, queue=queue, reject_form=reject_form or RejectForm(),
        title_max=META_TITLE_MAX, description_max=META_DESCRIPTION_MAX,
    ), status


@bp.get("/writer/content/<int:content_id>")
@login_required
def content_detail(content_id: int):
    """One article: meta, keywords, images in place, and Approve / Reject while in review."""
    return render_article(scoped_or_404(Content, content_id))


@bp.post("/writer/content/<int:content_id>/approve")
@login_required
def content_approve(content_id: int):
    """Approve an article in review."""
    content = scoped_or_404(Content, content_id)
    try:
        review.approve(content, current_user.id)
    except review.InvalidState as exc:
        flash(str(exc), "error")
    else:
        flash("Article approved.", "success")
    return redirect(url_for("web.content_detail", content_id=content.id), 303)


@bp.post("/writer/content/<int:content_id>/reject")
@login_required
def content_reject(content_id: int):
    """Reject an article in review; the reason is required."""
    content = scoped_or_404(Content, content_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return render_article(content, form, 422)
    try:
        review.reject(content, current_user.id, form.reason.data.strip())
    except review.InvalidState as exc:
        flash(str(exc), "error")
    else:
        flash("Article rejected; the reason is kept with it.", "success")
    return redirect(url_for("web.content_detail", content_id=content.id), 303)


@bp.get("/writer/images")
@login_required
def images():
    """The site's images: status, prompt and the article each belongs to."""
    site = selected_site()
    if site is None:
        return render_template("writer/images.html", site=None)
    status = request.args.get("status") if request.args.get("status") in IMAGE_STATUSES else None
    pager = paged(status_query(Image, site.id, status, content_id=int_arg("content_id")), 24)
    ids = {i.content_id for i in pager.page.items}
    titles = dict(db.session.execute(select(Content.id, Content.title).where(Content.id.in_(ids))).all()) if ids else {}
    return render_template("writer/images.html", site=site, pager=pager, status=status, statuses=IMAGE_STATUSES,
                           counts=status_counts(Image, site.id), titles=titles, image_url=image_url)
