"""Pages: the landing redirect, the site-scoped pages, media files."""

from __future__ import annotations

import os

from flask import abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Keyword, Site
from igny8.services.accounts import list_sites
from igny8.web import bp


def selected_site() -> Site | None:
    """The site named by ``site_id`` (remembered), else the last selected, else the first."""
    sites = list_sites(current_user.account_id)
    wanted = request.args.get("site_id", type=int) or current_user.last_site_id
    site = next((s for s in sites if s.id == wanted), None)
    if request.args.get("site_id") and site is None:
        abort(404)
    site = site or (sites[0] if sites else None)
    if site is not None and current_user.last_site_id != site.id:
        current_user.last_site_id = site.id
        db.session.commit()
    return site


@bp.get("/")
def index():
    """Signed in: the automation page; otherwise the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(url_for("web.automation"))


@bp.get("/automation")
@login_required
def automation():
    """The automation dashboard of the selected site."""
    site = selected_site()
    keyword_count = 0
    if site is not None:
        keyword_count = db.session.scalar(select(func.count()).where(Keyword.site_id == site.id))
    return render_template("automation.html", site=site, sites=list_sites(current_user.account_id),
                           keyword_count=keyword_count)


@bp.get("/media/<int:account_id>/<path:filename>")
@login_required
def media(account_id: int, filename: str):
    """Generated images; only the owning account may fetch them."""
    if account_id != current_user.account_id:
        abort(404)
    folder = os.path.join(current_app.config["MEDIA_FOLDER"], str(account_id))
    return send_from_directory(folder, filename)
