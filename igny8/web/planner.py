"""Planner pages: keywords (filters, import, paste, bulk actions), clusters and ideas."""

from __future__ import annotations

import re
from collections import defaultdict

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Cluster, ContentIdea, Keyword
from igny8.models.base import CLUSTER_STATUSES, IDEA_STATUSES, INTENTS, KEYWORD_STATUSES
from igny8.services.keyword_import import ImportFileError, parse_keyword_file
from igny8.services.keywords import AddResult, KeywordRow, add_keywords, check_row
from igny8.services.listing import KEYWORD_ORDERINGS, keyword_query, status_query
from igny8.services.planner_actions import BulkActionError, bulk_keywords
from igny8.web import bp
from igny8.web.forms import ImportForm, PasteForm
from igny8.web.helpers import int_arg, paged, required_site, selected_site

SORTS = {"-volume": "Volume, highest first", "volume": "Volume, lowest first", "keyword": "Keyword A–Z",
         "-created_at": "Newest first", "created_at": "Oldest first"}
MAX_PASTE_LINES = 10_000
MAX_SHOWN_ERRORS = 100
VOLUME = re.compile(r"^\d[\d,. ]*$")


def status_counts(model, site_id: int) -> dict[str, int]:
    """``{status: count}`` of a site's objects of ``model``."""
    return dict(db.session.execute(
        select(model.status, func.count()).where(model.site_id == site_id).group_by(model.status)).all())


def _keyword_filters() -> dict:
    """The keyword list filters from the query string; unknown values mean no filter."""
    disabled = {"yes": True, "no": False}.get(request.args.get("disabled", ""))
    return {
        "search": (request.args.get("q") or "").strip()[:200] or None,
        "status": request.args.get("status") if request.args.get("status") in KEYWORD_STATUSES else None,
        "intent": request.args.get("intent") if request.args.get("intent") in INTENTS else None,
        "disabled": disabled,
        "cluster_id": int_arg("cluster_id"),
        # Highest volume first: what an SEO user looks at first (and an import reads top-down).
        "ordering": request.args.get("sort") if request.args.get("sort") in KEYWORD_ORDERINGS else "-volume",
    }


def render_keywords(site, summary=None, import_form=None, paste_form=None, status=200):
    """The keywords page (also the answer of an import or paste, with its summary)."""
    filters = _keyword_filters()
    cluster = db.session.get(Cluster, filters["cluster_id"]) if filters["cluster_id"] else None
    if cluster is not None and cluster.site_id != site.id:
        cluster = None
        filters["cluster_id"] = None
    pager = paged(keyword_query(site.id, **filters))
    cluster_ids = {k.cluster_id for k in pager.page.items if k.cluster_id}
    clusters = {c.id: c for c in db.session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids)))}
    return render_template(
        "planner/keywords.html", site=site, pager=pager, filters=filters, sorts=SORTS, intents=INTENTS,
        statuses=KEYWORD_STATUSES, counts=status_counts(Keyword, site.id), clusters=clusters, cluster=cluster,
        import_form=import_form or ImportForm(), paste_form=paste_form or PasteForm(), summary=summary,
        max_errors=MAX_SHOWN_ERRORS,
    ), status


@bp.get("/planner/keywords")
@login_required
def keywords():
    """A site's keywords with search, filters, sorting and pagination."""
    site = selected_site()
    if site is None:
        return render_template("planner/keywords.html", site=None)
    return render_keywords(site)


@bp.post("/planner/keywords/import")
@login_required
def keywords_import():
    """Upload a CSV export: good rows imported, bad rows listed, duplicates counted.

    The page is answered directly (no redirect) so the summary can list every row error;
    a repeated submit is harmless because existing keywords count as duplicates.
    """
    site = required_site()
    form = ImportForm()
    if not form.validate_on_submit():
        return render_keywords(site, import_form=form, status=422)
    upload = form.file.data
    try:
        parsed = parse_keyword_file(upload.read(), max_rows=current_app.config["IMPORT_MAX_ROWS"],
                                    max_keyword_length=current_app.config["KEYWORD_MAX_LENGTH"])
    except ImportFileError as exc:
        form.file.errors.append(exc.message)
        return render_keywords(site, import_form=form, status=422)
    result = add_keywords(site, parsed.rows, source=(upload.filename or "upload")[:255])
    summary = {"kind": "import", "filename": upload.filename, "created": result.created,
               "duplicates": result.duplicates, "errors": parsed.errors, "total_rows": parsed.total_rows,
               "columns": parsed.columns, "encoding": parsed.encoding}
    return render_keywords(site, summary=summary)


def parse_pasted(text: str, max_length: int) -> tuple[list[KeywordRow], list[dict]]:
    """One keyword per line; ``keyword<TAB>volume`` (two spreadsheet columns) also works."""
    rows, errors = [], []
    for number, line in enumerate(text.splitlines()[:MAX_PASTE_LINES], start=1):
        if not line.strip():
            continue
        keyword, _, rest = line.partition("\t")
        volume = None
        rest = rest.split("\t")[0].strip()
        if rest:
            if not VOLUME.match(rest):
                errors.append({"row": number, "error": f"volume: {rest[:40]!r} is not a number"})
                continue
            volume = int(re.sub(r"[^\d]", "", rest))
        row = KeywordRow(keyword=keyword, volume=volume, row=number)
        problems = check_row(row, max_length)
        if problems:
            errors.append({"row": number, "error": "; ".join(problems.values())})
            continue
        rows.append(row)
    return rows, errors


@bp.post("/planner/keywords/add")
@login_required
def keywords_add():
    """Add keywords pasted one per line."""
    site = required_site()
    form = PasteForm()
    if not form.validate_on_submit():
        return render_keywords(site, paste_form=form, status=422)
    rows, errors = parse_pasted(form.keywords.data, current_app.config["KEYWORD_MAX_LENGTH"])
    lines = sum(1 for line in form.keywords.data.splitlines() if line.strip())
    result = add_keywords(site, rows, source="pasted") if rows else AddResult()
    summary = {"kind": "paste", "created": result.created, "duplicates": result.duplicates, "errors": errors,
               "total_rows": lines, "columns": {}, "encoding": None}
    return render_keywords(site, summary=summary, paste_form=PasteForm(formdata=None))


@bp.post("/planner/keywords/bulk")
@login_required
def keywords_bulk():
    """Disable, enable or delete the selected keywords (see ``planner_actions`` for delete rules)."""
    site = required_site()
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    try:
        result = bulk_keywords(current_user.account_id, site.id, ids, request.form.get("action", ""))
    except BulkActionError as exc:
        flash(str(exc), "error")
    else:
        flash(result.message(), "success" if not result.kept else "warning")
    back = request.form.get("back", "")
    if not back.startswith("/planner/keywords?") or "//" in back:
        back = url_for("web.keywords", site_id=site.id)
    return redirect(back, 303)


@bp.get("/planner/clusters")
@login_required
def clusters():
    """A site's clusters with their keywords and volumes."""
    site = selected_site()
    if site is None:
        return render_template("planner/clusters.html", site=None)
    status = request.args.get("status") if request.args.get("status") in CLUSTER_STATUSES else None
    query = status_query(Cluster, site.id, status).order_by(None).order_by(Cluster.total_volume.desc(), Cluster.id)
    pager = paged(query, 25)
    ids = [c.id for c in pager.page.items]
    members: dict[int, list[Keyword]] = defaultdict(list)
    if ids:
        # One query for the keywords of every cluster on the page, not one per cluster.
        for kw in db.session.scalars(select(Keyword).where(Keyword.cluster_id.in_(ids), Keyword.site_id == site.id)
                                     .order_by(Keyword.volume.desc().nulls_last(), Keyword.id)):
            members[kw.cluster_id].append(kw)
    idea_counts = dict(db.session.execute(
        select(ContentIdea.cluster_id, func.count()).where(ContentIdea.cluster_id.in_(ids))
        .group_by(ContentIdea.cluster_id)).all()) if ids else {}
    return render_template("planner/clusters.html", site=site, pager=pager, members=members,
                           idea_counts=idea_counts, statuses=CLUSTER_STATUSES, status=status,
                           counts=status_counts(Cluster, site.id))


@bp.get("/planner/ideas")
@login_required
def ideas():
    """A site's content ideas with their outlines (sections, keywords, word budgets)."""
    site = selected_site()
    if site is None:
        return render_template("planner/ideas.html", site=None)
    status = request.args.get("status") if request.args.get("status") in IDEA_STATUSES else None
    cluster_id = int_arg("cluster_id")
    pager = paged(status_query(ContentIdea, site.id, status, cluster_id=cluster_id), 25)
    cluster_ids = {i.cluster_id for i in pager.page.items}
    clusters = {c.id: c for c in db.session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids)))}
    return render_template("planner/ideas.html", site=site, pager=pager, clusters=clusters,
                           statuses=IDEA_STATUSES, status=status, counts=status_counts(ContentIdea, site.id))
