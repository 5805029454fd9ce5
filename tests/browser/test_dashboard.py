"""The dashboard in a real browser: log in, switch site, import, run with live polling, review.

The run is worked by ``execute_run`` on a background thread of this process (the ``run_worker``
fixture, inside an app context of the same app), so the page must pick up its progress purely by
htmx polling. Screenshots go to ``test-artifacts/screens/dashboard-*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD

DEMO = (Path(__file__).resolve().parents[2] / "igny8" / "demo"
        / "semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv")


def demo_csv(rows: int) -> bytes:
    """The first ``rows`` keywords of the real Semrush export shipped with the demo."""
    lines = DEMO.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: rows + 1])


@pytest.fixture
def sites(app, tenant):
    """Two sites of the tenant: (alpha, beta)."""
    from igny8.services.accounts import create_site

    with app.app_context():
        alpha = create_site(tenant.account_id, "Alpha Blog", "alpha.example")
        beta = create_site(tenant.account_id, "Beta Shop", "beta.example", "Europe/London")
        return alpha.id, beta.id


def login(page, email: str = "owner@example.com") -> None:
    """Log in through the form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/automation**")


def test_login_switch_import_run_pause_resume_and_review(page, sites, shoot, run_worker, slow_stage):
    alpha, beta = sites
    login(page)
    assert page.locator("#site-switch").input_value() == str(alpha)

    # Switch site with the header's switcher.
    page.select_option("#site-switch", label="Beta Shop")
    page.wait_for_url(f"**/automation?site_id={beta}")
    assert page.locator("#site-switch").input_value() == str(beta)

    # Upload a CSV and read the import summary.
    page.locator("nav.mainnav").get_by_role("link", name="Keywords").click()
    page.get_by_label("CSV file").set_input_files(
        {"name": "export.csv", "mimeType": "text/csv", "buffer": demo_csv(30)})
    page.get_by_role("button", name="Upload and import").click()
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert summary.locator(".created").inner_text() == "30"
    assert summary.locator(".duplicates").inner_text() == "0"
    assert page.locator("table.data tbody tr").count() == 30

    # Start a run: the panel turns into the running state without a page load.
    page.locator("nav.mainnav").get_by_role("link", name="Automation").click()
    page.wait_for_url(f"**/automation?site_id={beta}")
    assert "Enough credits" in page.locator(".estimate").inner_text()
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Run now").click()
    panel = page.locator("#run-panel")
    panel.get_by_role("button", name="Pause").wait_for()
    assert "running" in panel.inner_text().lower()
    processing = page.locator("#processing")
    assert "Stage 1 of 7" in processing.inner_text()

    # Pause → Resume appears; Resume → Pause again.
    panel.get_by_role("button", name="Pause").click()
    panel.get_by_role("button", name="Resume").wait_for()
    assert "paused" in panel.inner_text().lower()
    panel.get_by_role("button", name="Resume").click()
    panel.get_by_role("button", name="Pause").wait_for()
    shoot("dashboard-automation-running.png")

    # Let a worker thread do the run; only polling brings the progress to the page.
    before = processing.inner_text()
    assert "waiting for a worker" in before
    slow_stage(4)
    worker = run_worker(beta)
    processing.locator(".proc-stage", has_text="Stage 4 of 7").wait_for(timeout=30_000)
    assert "items done" in processing.inner_text()
    page.locator(".stage-card.current", has_text="Tasks → Content").wait_for()
    shoot("dashboard-automation-stage4.png")
    page.locator("#run-panel .badge.s-completed").wait_for(timeout=60_000)
    worker.join(30)
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    page.locator("#processing .badge.s-completed").wait_for()
    after = page.locator("#processing").inner_text()
    assert after != before and "Keywords → Clusters" in after
    assert "Run completed" in page.locator("#activity-log").inner_text()
    review_card = page.locator(".stage-card").nth(6)
    assert int(review_card.locator(".pending strong").inner_text().replace(",", "")) > 0
    # The completed run's cards stop polling; the idle panel and pipeline keep a light poll.
    assert page.locator("#processing").get_attribute("hx-trigger") is None
    assert page.locator("#activity-log").get_attribute("hx-trigger") is None
    # A run's stage results load into the page on click.
    page.locator("#history").get_by_role("link", name="Stage results").first.click()
    page.locator("#run-detail .stage-results").wait_for()
    assert "Clusters created" in page.locator("#run-detail").inner_text()
    shoot("dashboard-automation.png", full_page=True)

    # Review: open the first article waiting for review and approve it.
    page.locator("#run-panel").get_by_role("link", name="waiting for your review").click()
    page.locator("table.data tbody tr a").first.click()
    page.wait_for_url("**/writer/content/*")
    assert page.locator(".article .badge.s-review").count() == 1
    assert page.locator(".article-body h2").count() >= 2
    page.locator(".featured img").wait_for()
    # Lazy images below the fold would be blank in a full-page screenshot: load them all first.
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(img => { img.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)")
    shoot("dashboard-article.png", full_page=True)
    shoot("dashboard-article-top.png")
    page.get_by_role("button", name="Approve").click()
    page.locator(".notice.ok", has_text="Approved").wait_for()
    assert page.locator(".article .badge.s-approved").count() == 1
    assert not page.console_errors, page.console_errors


def test_hidden_tab_stops_polling_and_config_errors_show_in_place(page, sites):
    alpha, _ = sites
    polls: list[str] = []
    page.on("request", lambda req: polls.append(req.url) if "/automation/panel" in req.url
            or "/automation/pipeline" in req.url else None)
    login(page)
    page.wait_for_timeout(2_500)  # the idle cadence is 2 s in these tests
    assert polls, "the idle dashboard does not poll"

    # Hidden: htmx evaluates the trigger filter on every tick and sends nothing.
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(300)
    hidden_from = len(polls)
    page.wait_for_timeout(4_500)
    assert len(polls) == hidden_from, polls[hidden_from:]

    # Shown again: the panel refreshes at once instead of waiting for the next tick.
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(600)
    assert any("/automation/panel" in url for url in polls[hidden_from:])

    # The config form answers 422 with inline errors, swapped in place by htmx.
    page.get_by_label("Stage 1 batch (keywords)").fill("0")
    page.get_by_label("Time of day (HH:MM)").fill("7pm")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Save configuration").click()
    page.locator("#stage_1_batch_size-error").wait_for()
    assert page.locator("#stage_1_batch_size-error").inner_text() == "Must be between 1 and 100"
    assert page.locator("#scheduled_time-error").inner_text() == "Use 24-hour HH:MM, e.g. 02:30"
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_label("Stage 1 batch (keywords)").fill("25")
    page.get_by_label("Time of day (HH:MM)").fill("19:00")
    page.get_by_role("button", name="Save configuration").click()
    page.locator("#config .flash.success", has_text="Configuration saved.").wait_for()
    assert page.get_by_label("Stage 1 batch (keywords)").input_value() == "25"
    # Chromium logs every 4xx response; the 422 of the invalid submit is the expected one.
    unexpected = [e for e in page.console_errors if "status of 422" not in e]
    assert not unexpected, unexpected
