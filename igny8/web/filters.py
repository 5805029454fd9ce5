"""Template filters and the context every page shares (sites, navigation, polling)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import request, url_for
from flask_login import current_user
from markupsafe import Markup

from igny8.models import Site
from igny8.services.accounts import list_sites
from igny8.web import bp

# Pages a site switch returns to; a detail page goes back to its list.
SWITCH_TARGETS = {
    "web.automation": "web.automation", "web.run_detail": "web.automation",
    "web.keywords": "web.keywords", "web.clusters": "web.clusters", "web.ideas": "web.ideas",
    "web.tasks": "web.tasks", "web.content_list": "web.content_list", "web.content_detail": "web.content_list",
    "web.images": "web.images",
}
STAGE_KINDS = {"ai": "AI", "local": "Local", "manual": "Manual"}


@bp.app_template_filter("num")
def num(value, places: int | None = None) -> str:
    """``1234567`` → ``1,234,567``; Decimals keep up to ``places`` decimals (trailing zeros dropped)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (Decimal, float)):
        places = 2 if places is None else places
        text = f"{value:,.{places}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@bp.app_template_filter("credits")
def credits(value) -> str:
    """Credit amounts: two decimals, thousands separators."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def _as_datetime(value) -> datetime | None:
    """An aware UTC datetime from a datetime or an ISO string (None when neither)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@bp.app_template_filter("when")
def when(value) -> Markup | str:
    """A ``<time>`` element: ``2026-05-01 14:03 UTC`` with the exact ISO instant as its value."""
    moment = _as_datetime(value)
    if moment is None:
        return "—"
    iso = moment.isoformat().replace("+00:00", "Z")
    return Markup('<time datetime="{}">{}</time>').format(iso, moment.strftime("%Y-%m-%d %H:%M UTC"))


@bp.app_template_filter("duration")
def duration(start, end=None) -> str:
    """``1h 02m``, ``3m 05s`` or ``12s`` between two instants (``end`` defaults to now)."""
    begin, finish = _as_datetime(start), _as_datetime(end) or datetime.now(UTC)
    if begin is None:
        return "—"
    seconds = max(0, int((finish - begin).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@bp.app_template_filter("outline_words")
def outline_words(outline) -> int:
    """The word budgets of an outline added up (sections without a number count as zero)."""
    total = 0
    for section in outline or []:
        budget = section.get("word_budget") if isinstance(section, dict) else None
        total += budget if isinstance(budget, int) else 0
    return total


@bp.app_template_filter("label")
def label(name: str) -> str:
    """``keywords_processed`` → ``Keywords processed``."""
    return str(name).replace("_", " ").capitalize()


@bp.app_template_global()
def poll_trigger(seconds: int, extra: str = "") -> str:
    """An htmx polling trigger that skips ticks while the tab is hidden.

    htmx 2 evaluates the bracketed filter on every tick of ``every`` and keeps the timer
    running when it is false, so a hidden tab sends nothing and resumes on its own.
    """
    trigger = f"every {seconds}s [document.visibilityState === 'visible']"
    return f"{trigger}, {extra}" if extra else trigger


@bp.app_template_global()
def site_url(endpoint: str, site=None, **params) -> str:
    """``url_for`` with the page's site carried along (bookmarkable URLs name their site)."""
    if isinstance(site, Site):  # pages without a site pass nothing (or a Jinja Undefined)
        params.setdefault("site_id", site.id)
    return url_for(endpoint, **params)


@bp.app_template_global()
def query_url(**changes) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    args = request.args.to_dict()
    for name, value in changes.items():
        if value is None or value == "":
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.app_context_processor
def shared_context() -> dict:
    """The account's sites (for the switcher) and where a switch should land."""
    if not current_user.is_authenticated:
        return {"stage_kinds": STAGE_KINDS}
    try:
        sites = list_sites(current_user.account_id)
    except Exception:  # the error page of a broken database must still render
        sites = []
    return {"sites": sites, "switch_target": SWITCH_TARGETS.get(request.endpoint or "", "web.automation"),
            "stage_kinds": STAGE_KINDS}
