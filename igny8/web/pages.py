"""The landing redirect, sites (switch and create) and generated media files."""

from __future__ import annotations

import os

from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

from igny8.extensions import db
from igny8.services.accounts import create_site
from igny8.web import bp
from igny8.web.filters import SWITCH_TARGETS
from igny8.web.forms import SiteForm, clean_domain, timezone_names
from igny8.web.helpers import SESSION_SITE, account_site


@bp.get("/")
def index():
    """Signed in: the automation page; otherwise the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(url_for("web.automation"))


def _remember(site_id: int) -> None:
    """Make ``site_id`` the site pages use when no ``site_id`` is given."""
    session[SESSION_SITE] = site_id
    if current_user.last_site_id != site_id:
        current_user.last_site_id = site_id
        db.session.commit()


@bp.post("/sites/select")
@login_required
def select_site():
    """The header's site switcher: remember the site, then show the same section for it."""
    site = account_site(request.form.get("site_id", type=int))
    if site is None:
        abort(404)
    _remember(site.id)
    target = request.form.get("next", "")
    endpoint = target if target in SWITCH_TARGETS.values() else "web.automation"
    return redirect(url_for(endpoint, site_id=site.id), 303)


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required
def new_site():
    """Create a site (name, domain, time zone) and switch to it."""
    form = SiteForm()
    if form.validate_on_submit():
        site = create_site(current_user.account_id, form.name.data.strip(), clean_domain(form.domain.data),
                           form.timezone.data)
        _remember(site.id)
        flash(f"Site “{site.name}” created. Import keywords to get started.")
        return redirect(url_for("web.keywords", site_id=site.id), 303)
    status = 422 if form.errors else 200
    return render_template("sites/new.html", form=form, timezones=timezone_names()), status


@bp.get("/media/<int:account_id>/<path:filename>")
@login_required
def media(account_id: int, filename: str):
    """Generated images; only the owning account may fetch them."""
    if account_id != current_user.account_id:
        abort(404)
    folder = os.path.join(current_app.config["MEDIA_FOLDER"], str(account_id))
    return send_from_directory(folder, filename)
