"""Helpers shared by the page modules: the selected site, tenant-scoped lookups, paging."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request, session
from flask_login import current_user
from sqlalchemy import Select, select

from igny8.extensions import db
from igny8.models import Site
from igny8.services.accounts import list_sites
from igny8.services.pagination import Page, paginate

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
SESSION_SITE = "site_id"


def is_htmx() -> bool:
    """True for requests htmx makes (they get partials instead of whole pages).

    A boosted or history-restore request wants the whole page, so those do not count.
    """
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def int_arg(name: str, default: int | None = None, minimum: int = 1, maximum: int = 2**31 - 1) -> int | None:
    """An integer query parameter; a malformed or out-of-range value counts as absent."""
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if minimum <= value <= maximum else default


def choice_arg(name: str, choices, default: str | None = None) -> str | None:
    """A query parameter restricted to ``choices`` (anything else means the default)."""
    value = request.args.get(name)
    return value if value in choices else default


def account_site(site_id: int | None) -> Site | None:
    """The current account's site ``site_id``, or None."""
    if site_id is None:
        return None
    return db.session.scalar(select(Site).where(Site.id == site_id, Site.account_id == current_user.account_id))


def selected_site() -> Site | None:
    """The site named by ``site_id``, else the last selected, else the account's first.

    Another account's (or a malformed) ``site_id`` is a 404. Remembering the choice for this
    browser goes into the session cookie only, so a GET never writes to the database; the
    site switcher's POST stores it on the user as well.
    """
    raw = request.args.get("site_id")
    if raw:
        try:
            site = account_site(int(raw))
        except ValueError:
            site = None
        if site is None:
            abort(404)
        session[SESSION_SITE] = site.id
        return site
    for wanted in (session.get(SESSION_SITE), current_user.last_site_id):
        site = account_site(wanted) if isinstance(wanted, int) else None
        if site is not None:
            return site
    sites = list_sites(current_user.account_id)
    return sites[0] if sites else None


def required_site() -> Site:
    """The site of a partial or an action: ``site_id`` must be given and the account's."""
    site = account_site(int_arg("site_id"))
    if site is None:
        abort(404)
    return site


def scoped_or_404(model, object_id: int):
    """One object of ``model`` inside the current account, or a 404 (never a 403)."""
    obj = db.session.scalar(select(model).where(model.id == object_id, model.account_id == current_user.account_id))
    if obj is None:
        abort(404)
    return obj


@dataclass
class Pager:
    """A page of rows plus what the pagination bar needs."""

    page: Page

    @property
    def pages(self) -> int:
        """How many pages the filtered set has (at least one)."""
        return max(1, -(-self.page.count // self.page.page_size))

    @property
    def first(self) -> int:
        """1-based index of the first row shown."""
        return 0 if not self.page.count else (self.page.page - 1) * self.page.page_size + 1

    @property
    def last(self) -> int:
        """1-based index of the last row shown."""
        return min(self.page.count, self.page.page * self.page.page_size)

    def window(self, radius: int = 2) -> list[int | None]:
        """Page numbers around the current one; None marks a gap."""
        current, total = self.page.page, self.pages
        wanted = {1, total, *range(current - radius, current + radius + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= total)
        out: list[int | None] = []
        for n in numbers:
            if out and out[-1] is not None and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def paged(query: Select, default_size: int = DEFAULT_PAGE_SIZE) -> Pager:
    """Run ``query`` for the page named by ``page``/``page_size`` in the query string."""
    size = int_arg("page_size", default_size)
    size = size if size in PAGE_SIZES else default_size
    page = int_arg("page", 1, maximum=1_000_000)
    result = paginate(query, page, size)
    if not result.items and page > 1 and result.count:
        # A page past the end (rows were deleted meanwhile): show the last one instead.
        result = paginate(query, -(-result.count // size), size)
    return Pager(result)
