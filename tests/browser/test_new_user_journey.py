"""A brand-new user's first run, end to end in a real browser, exactly as a person would do it.

Sign up → the app asks for a site → create one → upload a Semrush CSV export and read the import
summary → Automation → Run now → watch the cards update live (no reload) until the run completes →
open an article waiting for review, see its images → Approve → the review count drops by one.

The test body only uses the pages. The one server-side help is the worker: no worker process
runs under the tests, so ``run_worker`` works the started run on a thread, and stage 4 is slowed a
little so the page can be seen mid-run. Screenshots go to ``test-artifacts/screens/journey-*.png``.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

EXPORT = "semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PROJECT_COPY = Path(__file__).resolve().parents[2] / "igny8" / "demo" / EXPORT
# Enough keywords for several clusters and articles, few enough to keep the run short and the
# estimate × 1.2 well inside the signup credits (about 280 of 1,000 for 40 keywords).
ROWS = 40
SIGNUP_CREDITS = 1000
EMAIL = "new.user@example.com"
PASSWORD = "a long new password"
LIVE = 30_000  # ms: how long a polled card may take to show the worker's progress


@pytest.fixture
def app_config(app_config):
    """The documented default starting balance, whatever the machine's environment says."""
    return {**app_config, "SIGNUP_CREDITS": SIGNUP_CREDITS}


def export_file(tmp_path: Path, rows: int = ROWS) -> Path:
    """The first ``rows`` data rows of the real Semrush export, as a file to upload."""
    source = SHARED_DATA / EXPORT if SHARED_DATA.exists() else PROJECT_COPY
    lines = source.read_bytes().splitlines(keepends=True)
    target = tmp_path / EXPORT
    target.write_bytes(b"".join(lines[: rows + 1]))
    return target


def distinct_keywords(path: Path) -> int:
    """How many different keywords the file holds (what the import should create)."""
    reader = csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))
    return len({" ".join(row["Keyword"].split()).lower() for row in reader})


def number(text: str) -> Decimal:
    """``1,234.50`` → ``Decimal('1234.50')``."""
    return Decimal(text.replace(",", "").strip())


def test_new_user_signs_up_imports_runs_and_approves(page, tmp_path, shoot, run_worker, slow_stage):
    # -- Sign up with a new email -------------------------------------------------------------
    page.goto("/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Company or team name").fill("Fresh Start Media")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    shoot("journey-01-signup.png")
    page.get_by_role("button", name="Sign up").click()

    # -- The app asks for a site first ---------------------------------------------------------
    expect(page.locator(".flash", has_text="Create your first site")).to_be_visible()
    expect(page.get_by_role("heading", name="Create your first site")).to_be_visible()
    expect(page.locator("#credit-balance")).to_have_text(f"{SIGNUP_CREDITS:,}.00")
    expect(page.locator("#site-switch")).to_have_count(0)
    shoot("journey-02-create-first-site.png")
    page.get_by_role("link", name="Create a site", exact=True).click()

    page.get_by_label("Site name").fill("AI Code Review Guide")
    page.get_by_label("Domain").fill("https://www.codereview-guide.example/")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create site").click()
    page.wait_for_url(re.compile(r"/planner/keywords\?site_id=\d+"))
    site_id = int(re.search(r"site_id=(\d+)", page.url).group(1))
    expect(page.locator(".flash", has_text="AI Code Review Guide")).to_contain_text("created")
    expect(page.locator("#site-switch option:checked")).to_have_text("AI Code Review Guide")
    expect(page.get_by_role("heading", name="No keywords yet")).to_be_visible()
    shoot("journey-03-empty-site.png", full_page=True)

    # -- Upload the keyword export and read the summary ---------------------------------------
    export = export_file(tmp_path)
    expected = distinct_keywords(export)
    page.get_by_label("CSV file").set_input_files(export)
    page.get_by_role("button", name="Upload and import").click()
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text(EXPORT)
    expect(summary.locator(".created")).to_have_text(str(expected))
    expect(summary.locator(".duplicates")).to_have_text(str(ROWS - expected))
    expect(summary.locator(".row-errors")).to_have_text("0")
    expect(summary.locator(".stat", has_text="rows read").locator("strong")).to_have_text(str(ROWS))
    expect(summary).to_contain_text("keyword ← “Keyword”")
    expect(page.locator("table.data tbody tr")).to_have_count(expected)
    expect(page.locator(".page-head")).to_contain_text(f"{expected} keywords")
    shoot("journey-04-import-summary.png", full_page=True)

    # -- Automation: the estimate fits the balance ---------------------------------------------
    summary.get_by_role("link", name="Go to Automation").click()
    page.wait_for_url(f"**/automation?site_id={site_id}")
    estimate = page.locator("#run-panel .estimate")
    expect(estimate).to_contain_text("✓ Enough credits to start")
    shown = re.search(r"([\d,.]+) credits estimated · needs ([\d,.]+) \(×1\.2\) · balance ([\d,.]+)",
                      estimate.inner_text())
    assert shown, estimate.inner_text()
    estimated, required, balance = (number(g) for g in shown.groups())
    assert balance == SIGNUP_CREDITS
    assert estimated > 0 and required == (estimated * Decimal("1.2")).quantize(Decimal("0.01"))
    assert required <= balance, f"the estimate of {ROWS} keywords does not fit {balance}: lower ROWS"
    estimate.locator("summary", has_text="Breakdown").click()
    stage_1 = estimate.locator("tbody tr").first.locator("td")
    expect(stage_1.nth(0)).to_have_text("1. Keywords → Clusters")
    expect(stage_1.nth(1)).to_have_text(str(expected))
    cards = page.locator("#pipeline .stage-card")
    expect(cards).to_have_count(7)
    expect(cards.nth(0).locator(".pending strong")).to_have_text(str(expected))
    expect(cards.nth(6).locator(".pending strong")).to_have_text("0")

    # -- Run now, then watch it live -----------------------------------------------------------
    page.evaluate("window.__sameDocument = 'journey'")
    page.get_by_role("button", name="Run now").click()
    panel, processing, log = page.locator("#run-panel"), page.locator("#processing"), page.locator("#activity-log")
    expect(panel.get_by_role("button", name="Pause")).to_be_visible()
    expect(panel.locator(".flash.success")).to_contain_text("started")
    expect(processing).to_contain_text("Stage 1 of 7")
    expect(processing).to_contain_text("waiting for a worker")
    expect(log).to_contain_text("created (manual)")

    slow_stage(4, 2.0)  # batches of 5 tasks: ~6 s in stage 4, polled every second
    worker = run_worker(site_id)
    # Mid-run: the processing card, the current stage card and the log move on by polling alone.
    expect(processing.locator(".proc-stage")).to_contain_text("Stage 4 of 7", timeout=LIVE)
    expect(processing.locator(".proc-count .total")).to_have_text(re.compile(r"^[1-9][\d,]*$"))
    expect(processing.locator(".proc-count .done")).not_to_have_text("0", timeout=LIVE)
    expect(page.locator("#pipeline .stage-card.current")).to_contain_text("Tasks → Content")
    expect(cards.nth(0).locator(".pending strong")).to_have_text("0")
    expect(cards.nth(0)).to_contain_text("✓")
    expect(log).to_contain_text("Stage 1 finished")
    expect(log).to_contain_text("Stage 4 (Tasks → Content) started")
    shoot("journey-05-automation-mid-run.png", full_page=True)

    # Completed: the panel, the processing summary, the log and the stage-7 card all show it.
    expect(panel.locator(".badge.s-completed")).to_be_visible(timeout=LIVE)
    expect(processing.locator(".badge.s-completed")).to_be_visible()
    expect(log).to_contain_text("Run completed")
    review_link = panel.get_by_role("link", name=re.compile(r"waiting for your review"))
    ready = int(re.match(r"\d+", review_link.inner_text()).group())
    assert ready > 0
    expect(cards.nth(6).locator(".pending strong")).to_have_text(str(ready))
    expect(cards.nth(6)).to_contain_text(f"{ready} ready for review in the last run")
    expect(processing).to_contain_text(f"7. Manual review gate {ready} ready for review")
    expect(panel.locator(".estimate")).to_contain_text("nothing is pending")
    spent = SIGNUP_CREDITS - number(page.locator("#credit-balance").inner_text())
    assert 0 < spent <= required, spent
    assert page.evaluate("window.__sameDocument") == "journey", "the automation page was reloaded"
    worker.join(30)
    assert not worker.is_alive()
    shoot("journey-06-automation-completed.png", full_page=True)

    # -- Open an article in review: its images are there ----------------------------------------
    review_link.click()
    page.wait_for_url(re.compile(r"/writer/content\?.*status=review"))
    expect(page.locator("nav.tabs a", has_text="Review").locator(".count")).to_have_text(str(ready))
    expect(page.locator("table.data tbody tr")).to_have_count(ready)
    page.locator("table.data tbody tr a").first.click()
    page.wait_for_url("**/writer/content/*")
    expect(page.locator(".article .badge.s-review")).to_be_visible()
    expect(page.locator(".queue-nav")).to_contain_text(f"Review queue: {ready} article")
    images = page.locator(".article img")
    expect(images.first).to_be_visible()
    assert images.count() >= 2, "expected a featured image and in-article images"
    for i in range(images.count()):  # scrolled past like a reader would, so lazy images load
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("""() => {
        const imgs = Array.from(document.querySelectorAll('.article img'));
        return imgs.length > 0 && imgs.every(img => img.complete && img.naturalWidth > 0);
    }""")
    expect(page.locator(".article .placeholder")).to_have_count(0)
    expect(page.locator(".article-side .badge.s-generated")).to_have_count(images.count())
    page.evaluate("window.scrollTo(0, 0)")
    shoot("journey-07-article.png", full_page=True)

    # -- Approve: one fewer waiting for review ---------------------------------------------------
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.success")).to_have_text("Article approved.")
    expect(page.locator(".article .badge.s-approved")).to_be_visible()
    expect(page.locator(".queue-nav")).to_contain_text(f"Review queue: {ready - 1} article")
    shoot("journey-08-after-approve.png")

    page.locator(".crumbs").get_by_role("link", name="Content").click()
    page.locator("nav.tabs").get_by_role("link", name="Review").click()
    expect(page.locator("nav.tabs a", has_text="Review").locator(".count")).to_have_text(str(ready - 1))
    expect(page.locator("nav.tabs a", has_text="Approved").locator(".count")).to_have_text("1")
    expect(page.locator("table.data tbody tr")).to_have_count(ready - 1)
    shoot("journey-09-review-list-after-approve.png")
    page.locator("nav.mainnav").get_by_role("link", name="Automation").click()
    page.wait_for_url(f"**/automation?site_id={site_id}")
    expect(cards.nth(6).locator(".pending strong")).to_have_text(str(ready - 1))
    shoot("journey-10-automation-after-approve.png", full_page=True)
    assert not page.console_errors, page.console_errors
